import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../../client.ts";
import { type Draw, days, lit } from "../random.ts";
import { run } from "../run.ts";
import { list } from "./plan-tables.ts";

export async function insertInstitutions(db: Database, draw: Draw): Promise<number> {
  return run(
    db,
    sql`
    insert into institutions (id, name, domain, type, time_zone, settings, created_at, updated_at)
    select i.id, i.name, i.domain, i.type, i.time_zone,
           jsonb_build_object('locale', 'en', 'gradingScale', 'percentage', 'selfEnrollment', i.type <> 'SCHOOL'),
           ${draw.time(sql`i.created_s`)}, ${draw.time(sql`i.created_s`)}
    from _sp_inst i`,
  );
}

/** One department per category and institution; number = institution * 10 + category. */
export function departmentId(draw: Draw, inst: SQL, cat: SQL): SQL {
  return draw.id("department", sql`(${inst}) * 10 + (${cat})`);
}

export async function insertDepartments(db: Database, draw: Draw): Promise<number> {
  return run(
    db,
    sql`
    insert into departments (id, institution_id, name, code, created_at, updated_at)
    select ${departmentId(draw, sql`i.n`, sql`v.cat`)}, i.id, v.dept_name, v.dept_code,
           ${draw.time(sql`i.created_s + (v.cat + 1) * ${days(1)}`)}, ${draw.time(sql`i.created_s + (v.cat + 1) * ${days(1)}`)}
    from _sp_inst i cross join _sp_vocab v`,
  );
}

/** Email-safe form of a name: "O'Brien" -> "obrien", "van Rossum" -> "vanrossum". */
function emailPart(name: SQL): SQL {
  return sql`regexp_replace(lower(${name}), '[^a-z0-9]+', '', 'g')`;
}

type StaffKind = "admin" | "instructor" | "ta";

const STAFF: Record<StaffKind, { role: string; salt: number; lo: string; count: string }> = {
  admin: { role: "ADMIN", salt: 1, lo: "admin_lo", count: "admins" },
  instructor: { role: "INSTRUCTOR", salt: 2, lo: "instructor_lo", count: "instructors" },
  ta: { role: "TEACHING_ASSISTANT", salt: 3, lo: "ta_lo", count: "tas" },
};

/**
 * Admins, instructors and teaching assistants. Instructors and TAs belong to the department
 * of category (local number mod 8), which is how courses find a teacher of their own field.
 */
async function insertStaff(db: Database, draw: Draw, kind: StaffKind): Promise<number> {
  const { role, salt, lo, count } = STAFF[kind];
  const n = sql`p.n`;
  const local = sql`(p.n - p.lo)`;
  const department = kind === "admin" ? sql`null::uuid` : departmentId(draw, sql`p.inst`, sql`${local} % 8`);
  const title =
    kind === "instructor"
      ? sql`${list("staff_titles")}[${draw.below("personTitle", n, sql`cardinality(${list("staff_titles")})`, salt)} + 1]`
      : kind === "ta"
        ? sql`'Teaching Assistant'`
        : sql`'Administrator'`;
  return run(
    db,
    sql`
    insert into users (id, email, name, role, institution_id, department_id, profile_data, preferences, is_active,
                       created_at, updated_at, last_login_at)
    select ${draw.id(kind, n)},
           ${emailPart(sql`p.first`)} || '.' || ${emailPart(sql`p.last`)} || '.' || ${kind} || p.n || '@' || p.domain,
           p.first || ' ' || p.last, ${role}::user_role, p.inst_id, ${department},
           jsonb_build_object('title', ${title}),
           jsonb_build_object('emailDigest', 'weekly', 'locale', 'en'),
           ${kind === "ta" ? sql`${draw.unit("personActive", n, salt)} < 0.95` : sql`true`},
           ${draw.time(sql`p.created_s`)}, ${draw.time(sql`p.created_s`)},
           ${draw.time(sql`${draw.anchor} - ${draw.below("personLogin", n, 30 * 86_400, salt)}`)}
    from (
      select s.n, i.${sql.raw(lo)} as lo, i.n as inst, i.id as inst_id, i.domain,
             ${list("first_names")}[${draw.below("personFirstName", sql`s.n`, sql`cardinality(${list("first_names")})`, salt)} + 1] as first,
             ${list("last_names")}[${draw.below("personLastName", sql`s.n`, sql`cardinality(${list("last_names")})`, salt)} + 1] as last,
             ${draw.anchor} - (1200 + ${draw.below("personCreated", sql`s.n`, 900, salt)}) * ${days(1)}
               - ${draw.below("personCreated", sql`s.n + 1000000000`, 86_400, salt)} as created_s
      from _sp_inst i
      cross join lateral generate_series(i.${sql.raw(lo)}, i.${sql.raw(lo)} + i.${sql.raw(count)} - 1) as s(n)
    ) p`,
  );
}

/**
 * Students: account created shortly before their first enrollment, last login at or after
 * their last learning activity. 80% declare a major (a department).
 */
async function insertStudents(db: Database, draw: Draw): Promise<number> {
  const n = sql`p.n`;
  const salt = 4;
  return run(
    db,
    sql`
    insert into users (id, email, name, role, institution_id, department_id, profile_data, preferences, is_active,
                       created_at, updated_at, last_login_at)
    select ${draw.id("student", n)},
           ${emailPart(sql`p.first`)} || '.' || ${emailPart(sql`p.last`)} || p.n || '@student.' || p.domain,
           p.first || ' ' || p.last, 'STUDENT'::user_role, p.inst_id,
           case when p.major is not null then ${departmentId(draw, sql`p.inst`, sql`p.major`)} end,
           jsonb_build_object('studentNumber', 'S' || lpad(p.n::text, 7, '0'),
                              'year', 1 + ${draw.below("personYear", n, 4, salt)},
                              'major', (select v.dept_name from _sp_vocab v where v.cat = p.major)),
           jsonb_build_object('emailDigest', (array['daily', 'weekly', 'never'])[${draw.below("personDigest", n, 3, salt)} + 1],
                              'locale', 'en'),
           ${draw.unit("personActive", n, salt)} < 0.98,
           ${draw.time(sql`p.created_s`)}, ${draw.time(sql`p.created_s`)},
           ${draw.time(sql`least(${draw.anchor}, p.last_seen + ${draw.below("personLogin", n, 3600, salt)})`)}
    from (
      select s.n, i.n as inst, i.id as inst_id, i.domain,
             ${list("first_names")}[${draw.below("personFirstName", sql`s.n`, sql`cardinality(${list("first_names")})`, salt)} + 1] as first,
             ${list("last_names")}[${draw.below("personLastName", sql`s.n`, sql`cardinality(${list("last_names")})`, salt)} + 1] as last,
             case when ${draw.unit("personDepartment", sql`s.n`, salt)} < 0.8
                  then ${draw.below("personDepartment", sql`s.n + 1000000000`, 8, salt)} end as major,
             coalesce(a.first_e0, ${draw.anchor} - ${days(30)}) - ${lit(86_400)}
               - ${draw.below("personCreated", sql`s.n`, 60 * 86_400, salt)} as created_s,
             coalesce(a.last_seen, ${draw.anchor} - ${days(30)}) as last_seen
      from _sp_inst i
      cross join lateral generate_series(i.student_lo, i.student_lo + i.students - 1) as s(n)
      left join (
        select student_n, min(e0) as first_e0, max(case when touched > 0 then wend else e0 end) as last_seen
        from _sp_enrollment group by student_n
      ) a on a.student_n = s.n
    ) p`,
  );
}

export async function insertUsers(db: Database, draw: Draw): Promise<number> {
  let rows = 0;
  for (const kind of ["admin", "instructor", "ta"] as const) rows += await insertStaff(db, draw, kind);
  return rows + (await insertStudents(db, draw));
}
