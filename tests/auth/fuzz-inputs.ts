/**
 * Generators of malformed procedure inputs for the fuzz test (tests/auth/fuzz.test.ts), built on
 * fast-check (seeded, reproducible, and it shrinks a failing input to a minimal one).
 *
 * Inputs are derived from each procedure's own zod schema, read as JSON Schema
 * (z.toJSONSchema), so that procedures added later are fuzzed in depth without any change here:
 * every object input gets values of the wrong type, strings past their maxLength or outside
 * their pattern, enum members that do not exist, numbers out of range or NaN/Infinity,
 * oversized arrays (batches), unknown keys... Each generated object input holds at least one
 * DEFINITE violation (an unknown key, or one property that no value of its schema admits), so
 * every input is malformed and the procedure must refuse it, whatever its other values are.
 */
import fc from "fast-check";
import { z } from "zod";

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
};

/** The JSON Schema of a procedure's input parser, or null when it is not a zod schema. */
export function inputJsonSchema(parser: unknown): JsonSchema | null {
  if (!(parser instanceof z.ZodType)) return null;
  try {
    return z.toJSONSchema(parser, { unrepresentable: "any", io: "input" }) as JsonSchema;
  } catch {
    return null;
  }
}

// Generic hostile values ---------------------------------------------------------------------

const nasty = [
  "",
  " ",
  "\u0000",
  "\uD800", // a lone surrogate
  "null",
  "undefined",
  "NaN",
  "-1",
  "1e309",
  "'; drop table users; --",
  "' or '1'='1",
  "\\x00\\x1b[31m",
  "../../../etc/passwd",
  "<script>alert(1)</script>",
  "$" + "{jndi:ldap://x/a}", // log4shell-style lookup
  "{{7*7}}",
  "%00%0d%0a",
  "2026-02-30",
  "2026-13-01T25:61:61Z",
  "0000-00-00",
  "not-a-uuid",
  "00000000-0000-0000-0000-00000000000g",
  "b0000000-0000-4000-8000-00000000000", // one digit short
  "a0000000-0000-4000-8000-000000000002;select 1",
  "Ω≈ç√∫˜µ≤≥÷🙂",
];

/** A value nested `depth` levels deep (arrays and objects alternating). */
const nested = (depth: number, leaf: unknown): unknown => {
  let value = leaf;
  for (let i = 0; i < depth; i += 1) value = i % 2 === 0 ? [value] : { a: value };
  return value;
};

/** Strings far past any field's limit (built once: fast-check would spend its time generating them). */
const hugeStrings = ["x".repeat(70_000), "é".repeat(150_000), "a.".repeat(200_000)];

const pollution = () => [
  JSON.parse('{"__proto__": {"isAdmin": true}, "constructor": {"prototype": {"role": "ADMIN"}}}'),
  { toString: "x", valueOf: 1, hasOwnProperty: null },
];

/** Anything a client could send (superjson also carries Dates, BigInts, Maps, Sets, undefined). */
export const garbage: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<unknown>(...nasty) },
  {
    weight: 3,
    arbitrary: fc.constantFrom<unknown>(
      null,
      true,
      false,
      0,
      -0,
      -1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      2 ** 53 + 2,
      -(2 ** 63),
      1e308,
      5e-324,
    ),
  },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 2, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.bigInt() },
  { weight: 1, arbitrary: fc.date({ noInvalidDate: false }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(...hugeStrings) },
  { weight: 1, arbitrary: fc.integer({ min: 20, max: 3_000 }).map((depth) => nested(depth, "deep")) },
  { weight: 2, arbitrary: fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 6 }) },
  { weight: 2, arbitrary: fc.object({ maxDepth: 2 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<unknown>(
      ...pollution(),
      new Map([["a", 1]]),
      new Set([1]),
      /x/g,
      new Uint8Array([0, 255]),
    ),
  },
);

/** Garbage that is not a plain object (nor a Date/Map/Set that an object schema might take for an empty one). */
const notAnObject = garbage.filter(
  (value) =>
    value === null ||
    typeof value !== "object" ||
    (Array.isArray(value) && value.length >= 0) ||
    value instanceof RegExp ||
    value instanceof Uint8Array,
);

function typesOf(schema: JsonSchema): Set<string> | null {
  if (schema.anyOf ?? schema.oneOf) {
    const types = new Set<string>();
    for (const branch of schema.anyOf ?? schema.oneOf ?? []) {
      const branchTypes = typesOf(branch);
      if (!branchTypes) return null;
      for (const type of branchTypes) types.add(type);
    }
    return types;
  }
  if (schema.type === undefined) return schema.const === null ? new Set(["null"]) : null;
  return new Set(Array.isArray(schema.type) ? schema.type : [schema.type]);
}

/** The JSON type of a JS value, as JSON Schema names it (undefined: none a schema could admit). */
function jsonTypeOf(value: unknown): string | undefined {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  switch (typeof value) {
    case "string":
      return "string";
    case "boolean":
      return "boolean";
    case "number":
      return Number.isInteger(value) ? "integer" : "number";
    case "object":
      return value instanceof Date || value instanceof Map || value instanceof Set ? undefined : "object";
    default:
      return undefined;
  }
}

const ALL_TYPES = ["string", "number", "boolean", "null", "array", "object"];

/**
 * Garbage of none of the given JSON types (integer counts as a number); null when the types
 * leave nothing out. (fast-check filters retry until a value passes: a filter that can never
 * pass would spin forever, so every filter here keeps a sure way out.)
 */
function ofOtherTypes(types: Set<string>): fc.Arbitrary<unknown> | null {
  const widened = new Set(types);
  if (widened.has("integer")) widened.add("number");
  if (ALL_TYPES.every((type) => widened.has(type))) return null;
  const pool: unknown[] = [null, true, "x", 1.5, 7, [], [1], { a: 1 }, nested(200, 0)].filter((value) => {
    const type = jsonTypeOf(value);
    return type !== undefined && !widened.has(type === "integer" ? "number" : type);
  });
  const sure = fc.constantFrom(...pool);
  return fc.oneof(
    sure,
    garbage.filter((value) => {
      const type = jsonTypeOf(value);
      if (type === undefined) return !widened.has("object"); // Dates, Maps, BigInts...: never for an object field
      if (type === "number" && !Number.isFinite(value as number)) return false; // NaN/Infinity: a number's own case
      return !widened.has(type === "integer" ? "number" : type);
    }),
  );
}

/** One of the pool's values that `admits` refuses; null if it admits them all. */
function outside(pool: readonly string[], admits: (value: string) => boolean): fc.Arbitrary<unknown> | null {
  const values = [...new Set(pool)].filter((value) => !admits(value));
  return values.length > 0 ? fc.constantFrom(...values) : null;
}

const stringPool = [...nasty, "a", "A", "0", "-", " x ", "x".repeat(5), "🙂", "a@b", "a@b.c", "1.5", "true"];

/**
 * Values that no value of `schema` admits, or null when that cannot be known from the schema
 * alone (an `any` branch, a refinement...). Never undefined (an optional field admits it).
 */
export function invalidFor(schema: JsonSchema, depth = 0): fc.Arbitrary<unknown> | null {
  const types = typesOf(schema);
  if (!types || types.size === 0) return null;
  const wrongType = ofOtherTypes(types);
  if (types.size > 1) return wrongType; // a union: only a wrong type is sure to be wrong
  const options: Array<fc.Arbitrary<unknown> | null> = [wrongType];
  const [type] = [...types];
  if (type === "string") {
    if (schema.maxLength !== undefined) {
      const max = schema.maxLength;
      options.push(fc.integer({ min: max + 1, max: max + 300 }).map((n) => "z".repeat(n)));
      options.push(fc.constant("w".repeat(Math.max(max + 1, 100_000))));
    }
    if (schema.minLength !== undefined && schema.minLength > 0) options.push(fc.constant(""));
    if (schema.pattern) {
      const pattern = new RegExp(schema.pattern, "u");
      options.push(outside(stringPool, (value) => pattern.test(value)));
    }
    if (schema.enum) {
      const members = new Set(schema.enum);
      const variants = schema.enum.flatMap((member) => [
        String(member).toLowerCase(),
        String(member).toUpperCase(),
        ` ${member}`,
      ]);
      options.push(outside([...stringPool, ...variants], (value) => members.has(value)));
    }
  } else if (type === "integer" || type === "number") {
    options.push(fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY));
    if (type === "integer") options.push(fc.constantFrom(0.5, 1.5, -2.25, 1e-9, 12345.678));
    const min = schema.minimum ?? schema.exclusiveMinimum;
    const max = schema.maximum ?? schema.exclusiveMaximum;
    if (min !== undefined && min > -Number.MAX_SAFE_INTEGER)
      options.push(fc.constantFrom(min - 1, min - 1e6, -Number.MAX_VALUE));
    if (max !== undefined && max < Number.MAX_SAFE_INTEGER)
      options.push(fc.constantFrom(max + 1, max * 1000 + 1, Number.MAX_VALUE));
  } else if (type === "array") {
    if (schema.maxItems !== undefined) {
      // Oversized batches: just past the bound, and far past it.
      const max = schema.maxItems;
      options.push(fc.constantFrom(max + 1, max * 3).map((n) => Array.from({ length: n }, (_, i) => ({ i }))));
    }
    if (schema.minItems !== undefined && schema.minItems > 0) options.push(fc.constant([]));
    const badItem = schema.items && depth < 3 ? invalidFor(schema.items, depth + 1) : null;
    if (badItem)
      options.push(fc.tuple(fc.array(garbage, { maxLength: 3 }), badItem).map(([rest, bad]) => [...rest, bad]));
  } else if (type === "object") {
    if (depth < 3) options.push(malformedObject(schema, depth + 1));
  }
  const usable = options.filter((option): option is fc.Arbitrary<unknown> => option !== null);
  return usable.length > 0 ? fc.oneof(...usable) : null;
}

const hostileKeys = ["institutionId", "role", "isAdmin", "__proto__x", "constructor", "$where", "0", "", "studentId "];

/**
 * An object input with at least one definite violation: a property no value of its schema
 * admits, or (when the schema refuses unknown keys, and to catch those that do not) a key it
 * does not know. The other properties are omitted or get garbage.
 */
export function malformedObject(schema: JsonSchema, depth = 0): fc.Arbitrary<Record<string, unknown>> | null {
  const properties = schema.properties ?? {};
  const known = new Set(Object.keys(properties));
  const filler = fc.dictionary(fc.constantFrom(...(known.size > 0 ? [...known] : ["_"])), garbage, { maxKeys: 3 });
  const unknownKey = fc.oneof(
    fc.constantFrom(...hostileKeys.filter((key) => !known.has(key))),
    fc.string({ minLength: 1, maxLength: 12 }).map((key) => (known.has(key) ? `${key}_` : key)),
  );
  const violations: fc.Arbitrary<Record<string, unknown>>[] = [
    fc.tuple(filler, unknownKey, garbage).map(([rest, key, value]) => {
      const out: Record<string, unknown> = known.size > 0 ? { ...rest } : {};
      Object.defineProperty(out, key, { value, enumerable: true, configurable: true, writable: true });
      return out;
    }),
  ];
  for (const [name, propertySchema] of Object.entries(properties)) {
    const bad = invalidFor(propertySchema, depth);
    if (bad) violations.push(fc.tuple(filler, bad).map(([rest, value]) => ({ ...rest, [name]: value })));
  }
  return fc.oneof(...violations);
}

/** Malformed inputs for a procedure whose input parser has this JSON Schema (null: not a zod schema). */
export function malformedInput(schema: JsonSchema | null): fc.Arbitrary<unknown> {
  if (!schema) return garbage.filter((value) => value !== undefined);
  if (typesOf(schema)?.has("object") && schema.properties !== undefined) {
    const object = malformedObject(schema);
    return object ? fc.oneof({ weight: 1, arbitrary: notAnObject }, { weight: 5, arbitrary: object }) : notAnObject;
  }
  return invalidFor(schema) ?? garbage.filter((value) => value !== undefined);
}
