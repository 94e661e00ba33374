import { createHash } from "node:crypto";
import { getTableName, getViewName, is, isView, Table } from "drizzle-orm";
import * as schema from "../schema/index.ts";

/**
 * What monitoring may say about a statement: its text with literals masked, its operation and
 * main table (low-cardinality metric labels), and a fingerprint that groups the same statement
 * whatever its values or batch size.
 */
export interface StatementSummary {
  /** The statement with string literals replaced by '?' and comments removed. */
  masked: string;
  /** First keyword (`select`, `insert`, `begin`, ...; the main statement's for `with`), else "other". */
  operation: string;
  /** The main table, when it is one of the schema's; "other" for another relation; "none" for none. */
  table: string;
  /** 12 hex characters of a hash of the normalised statement. */
  fingerprint: string;
}

const OPERATIONS = new Set([
  "select",
  "insert",
  "update",
  "delete",
  "merge",
  "values",
  "begin",
  "commit",
  "rollback",
  "savepoint",
  "release",
  "prepare",
  "set",
  "reset",
  "show",
  "copy",
  "vacuum",
  "analyze",
  "explain",
  "refresh",
  "lock",
  "create",
  "alter",
  "drop",
  "truncate",
  "grant",
  "revoke",
  "comment",
  "do",
  "call",
  "listen",
  "notify",
  "unlisten",
  "discard",
]);
const SYNONYMS: Record<string, string> = { start: "begin", end: "commit", abort: "rollback" };
const MAIN_VERBS = new Set(["select", "insert", "update", "delete", "merge", "values"]);
const RELATION_KEYWORDS = new Set(["from", "join", "into", "update"]);

let knownRelations: Set<string> | undefined;

/** Tables and views of the Drizzle schema: the only names a metric label may carry. */
function relations(): Set<string> {
  if (!knownRelations) {
    knownRelations = new Set();
    for (const value of Object.values(schema)) {
      if (is(value, Table)) knownRelations.add(getTableName(value));
      else if (isView(value)) knownRelations.add(getViewName(value));
    }
  }
  return knownRelations;
}

const DOLLAR_QUOTE = /\$([A-Za-z_][A-Za-z0-9_]*)?\$/y;

/**
 * Replaces string literals ('...', E'...', $tag$...$tag$) with '?' and drops comments, keeping
 * quoted identifiers. Application statements bind their values as `$n` parameters; this guards
 * the statements that do not (raw SQL, seeds, migrations), so a log line never quotes data.
 */
export function maskLiterals(statement: string): string {
  let out = "";
  let from = 0;
  let i = 0;
  const n = statement.length;
  const cut = (replacement: string, end: number) => {
    out += statement.slice(from, i) + replacement;
    i = end;
    from = end;
  };
  while (i < n) {
    const c = statement[i];
    const next = statement[i + 1];
    if (c === "'") {
      const escapes = i > 0 && (statement[i - 1] === "E" || statement[i - 1] === "e");
      let j = i + 1;
      while (j < n) {
        if (escapes && statement[j] === "\\") j += 2;
        else if (statement[j] === "'" && statement[j + 1] === "'") j += 2;
        else if (statement[j] === "'") break;
        else j++;
      }
      cut("'?'", Math.min(j + 1, n));
    } else if (c === '"') {
      let j = i + 1;
      while (j < n && !(statement[j] === '"' && statement[j + 1] !== '"')) j += statement[j] === '"' ? 2 : 1;
      i = Math.min(j + 1, n);
    } else if (c === "-" && next === "-") {
      const end = statement.indexOf("\n", i);
      cut(" ", end === -1 ? n : end);
    } else if (c === "/" && next === "*") {
      let depth = 1;
      let j = i + 2;
      while (j < n && depth > 0) {
        const pair = statement.slice(j, j + 2);
        depth += pair === "/*" ? 1 : pair === "*/" ? -1 : 0;
        j += pair === "/*" || pair === "*/" ? 2 : 1;
      }
      cut(" ", j);
    } else if (c === "$" && !(i > 0 && /[\w$]/.test(statement[i - 1] ?? ""))) {
      DOLLAR_QUOTE.lastIndex = i;
      const tag = DOLLAR_QUOTE.exec(statement)?.[0];
      if (tag) {
        const end = statement.indexOf(tag, i + tag.length);
        cut("'?'", end === -1 ? n : end + tag.length);
      } else i++;
    } else i++;
  }
  return out + statement.slice(from);
}

interface Token {
  /** Lower-cased keyword or bare name, a quoted name as written, or "(" / ")" / ".". */
  text: string;
  quoted: boolean;
  depth: number;
}

const TOKEN = /"((?:[^"]|"")*)"|([A-Za-z_][A-Za-z0-9_$]*)|([().])/g;

function tokenize(masked: string): Token[] {
  const tokens: Token[] = [];
  let depth = 0;
  for (const match of masked.matchAll(TOKEN)) {
    const [, quoted, word, punct] = match;
    if (punct === "(") {
      tokens.push({ text: "(", quoted: false, depth });
      depth++;
    } else if (punct === ")") {
      depth = Math.max(0, depth - 1);
      tokens.push({ text: ")", quoted: false, depth });
    } else if (punct) tokens.push({ text: punct, quoted: false, depth });
    else if (quoted !== undefined) tokens.push({ text: quoted.replace(/""/g, '"'), quoted: true, depth });
    else if (word) tokens.push({ text: word.toLowerCase(), quoted: false, depth });
  }
  return tokens;
}

const isName = (token: Token | undefined) => token !== undefined && (token.quoted || /^[a-z_]/.test(token.text));

/** The relation named at `tokens[index]` (schema-qualified or not), or undefined for a subquery. */
function relationAt(tokens: Token[], index: number): string | undefined {
  let i = index;
  while (tokens[i] && !tokens[i]?.quoted && (tokens[i]?.text === "only" || tokens[i]?.text === "lateral")) i++;
  if (!isName(tokens[i])) return undefined;
  let name = tokens[i]?.text;
  while (tokens[i + 1]?.text === "." && isName(tokens[i + 2])) {
    i += 2;
    name = tokens[i]?.text;
  }
  return name;
}

function operationOf(tokens: Token[]): { operation: string; index: number } {
  const first = tokens.findIndex((token) => !token.quoted && /^[a-z]/.test(token.text));
  const word = tokens[first]?.text ?? "";
  if (word === "with") {
    const depth = tokens[first]?.depth ?? 0;
    for (let i = first + 1; i < tokens.length; i++) {
      const token = tokens[i] as Token;
      if (token.depth === depth && !token.quoted && MAIN_VERBS.has(token.text))
        return { operation: token.text, index: i };
    }
    return { operation: "select", index: first };
  }
  const operation = SYNONYMS[word] ?? word;
  return { operation: OPERATIONS.has(operation) ? operation : "other", index: first };
}

function mainTable(tokens: Token[], operation: string, index: number): string {
  const known = relations();
  const depth = tokens[index]?.depth ?? 0;
  const keyword = { insert: "into", delete: "from", select: "from", merge: "into" }[operation];
  let main: string | undefined;
  if (operation === "update") main = relationAt(tokens, index + 1);
  else if (keyword) {
    for (let i = index + 1; i < tokens.length; i++) {
      const token = tokens[i] as Token;
      if (token.depth < depth) break;
      if (token.depth === depth && !token.quoted && token.text === keyword) {
        main = relationAt(tokens, i + 1);
        break;
      }
    }
  }
  if (main && known.has(main)) return main;
  // A CTE or subquery in the main position: the first schema table named anywhere instead.
  let any = false;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    if (token.quoted || !RELATION_KEYWORDS.has(token.text)) continue;
    const name = relationAt(tokens, i + 1);
    if (name && known.has(name)) return name;
    any ||= name !== undefined;
  }
  return main || any ? "other" : "none";
}

function fingerprintOf(masked: string): string {
  const normalised = masked
    .toLowerCase()
    .replace(/\$\d+/g, "?")
    .replace(/(?<![\w$])-?\d+(\.\d+)?(e[+-]?\d+)?\b/g, "?")
    .replace(/\s+/g, " ")
    .trim()
    // Value tuples and IN lists of any length, and any number of VALUES rows, read the same.
    .replace(/\(\s*(?:\?|'\?'|default)(?:\s*,\s*(?:\?|'\?'|default))*\s*\)/g, "(?+)")
    .replace(/\(\?\+\)(?:\s*,\s*\(\?\+\))+/g, "(?+)");
  return createHash("sha1").update(normalised).digest("hex").slice(0, 12);
}

// Statements repeat (Drizzle builds the same text for the same query), so each is analysed once.
const summaries = new Map<string, StatementSummary>();
const MAX_SUMMARIES = 2000;

export function summarizeStatement(statement: string): StatementSummary {
  const cached = summaries.get(statement);
  if (cached) return cached;
  const masked = maskLiterals(statement);
  const tokens = tokenize(masked);
  const { operation, index } = operationOf(tokens);
  const summary: StatementSummary = {
    masked,
    operation,
    table: MAIN_VERBS.has(operation) ? mainTable(tokens, operation, index) : "none",
    fingerprint: fingerprintOf(masked),
  };
  if (summaries.size >= MAX_SUMMARIES) summaries.clear();
  summaries.set(statement, summary);
  return summary;
}
