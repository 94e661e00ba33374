#!/usr/bin/env bash
# Import rate: 100k users then 100k enrollments through pnpm start and `pnpm cb import`, on a
# scratch PostgreSQL database (dropped afterwards). Run from the repository root: bench/import-rate.sh
set -euo pipefail
WORK=${WORK:-/tmp/coursebase-import-rate}
mkdir -p "$WORK"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DB=coursebase_import_rate
ADMIN=postgres://postgres@127.0.0.1:5432/postgres
URL=postgres://postgres@127.0.0.1:5432/$DB
psql "$ADMIN" -qc "drop database if exists $DB with (force)" -qc "create database $DB"
export DATABASE_URL=$URL
pnpm --silent db:migrate >/dev/null
pnpm --silent db:seed --scale 0.05 >/dev/null 2>&1
DOMAIN=$(psql "$URL" -Atc "select domain from institutions order by domain limit 1")
TOKEN=$(pnpm --silent cb:token --institution "$DOMAIN" --role ADMIN 2>/dev/null | grep -oE 'cbt_[A-Za-z0-9_-]+' | head -1)
echo "institution $DOMAIN token ${TOKEN:0:8}..."
# courses without prerequisites, published, of that institution
psql "$URL" -Atc "select c.slug from courses c join institutions i on i.id=c.institution_id where i.domain='$DOMAIN' and c.status='PUBLISHED' and not exists (select 1 from course_prerequisites p where p.course_id=c.id)" > $WORK/slugs.txt
echo "$(wc -l < $WORK/slugs.txt) courses"
node -e '
const fs=require("fs");const d=process.argv[1];const w=process.argv[2];const slugs=fs.readFileSync(w+"/slugs.txt","utf8").trim().split("\n");
let u="email,name,role\n", e="student_email,course_slug\n";
for(let i=0;i<100000;i++){u+=`rate${i}@${d},Rate Student ${i},STUDENT\n`; e+=`rate${i}@${d},${slugs[i%slugs.length]}\n`;}
fs.writeFileSync(w+"/users.csv",u);fs.writeFileSync(w+"/enrollments.csv",e);' "$DOMAIN" "$WORK"
# In its own process group, so that stopping it stops pnpm and the server under it.
setsid env PORT=3111 JOBS=off CACHE_WARM_COURSES=0 LOG_LEVEL=warn pnpm --silent start > "$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 120); do curl -sf http://127.0.0.1:3111/readyz >/dev/null && break; sleep 0.5; done
export COURSEBASE_URL=http://127.0.0.1:3111 COURSEBASE_TOKEN=$TOKEN
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
pnpm --silent cb import users $WORK/users.csv --dry-run > /dev/null
pnpm --silent cb import users $WORK/users.csv > /dev/null
pnpm --silent cb import users $WORK/users.csv > /dev/null
pnpm --silent cb import enrollments $WORK/enrollments.csv > /dev/null
pnpm --silent cb import enrollments $WORK/enrollments.csv > /dev/null
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
psql "$URL" -Atc "select 'users ' || count(*) from users where email like 'rate%'" -Atc "select 'enrollments ' || count(*) from enrollments e join users u on u.id=e.student_id where u.email like 'rate%'"
kill -- -"$SERVER" 2>/dev/null || true
wait "$SERVER" 2>/dev/null || true
psql "$ADMIN" -qc "drop database if exists $DB with (force)"
