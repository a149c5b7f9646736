/**
 * Test code: reads a query string the way Qdrant's query extractor does. serde_urlencoded
 * parses each declared parameter from text with Rust's `FromStr` (its messages are reused
 * here), ignores undeclared ones, and the `validator` crate then checks ranges.
 */
import { expectedNames } from './rust-format.js';
import { deserializeError, validationError, type StandinError } from './errors.js';
import type { OpenApiParameter, Schema } from './openapi-document.js';

type Converted = { value: unknown } | { error: string };

const INTEGER_LIMITS: Record<string, bigint> = {
  uint32: 2n ** 32n - 1n,
  uint16: 2n ** 16n - 1n,
  uint8: 2n ** 8n - 1n,
};

const U64_MAX = 2n ** 64n - 1n;

/** The typed values of the declared parameters, or the error Qdrant would answer. */
export function readQueryParameters(
  parameters: OpenApiParameter[],
  search: URLSearchParams,
  schemas: Record<string, Schema>,
): Record<string, unknown> | StandinError {
  const declared = new Map(parameters.map((parameter) => [parameter.name, parameter]));
  const values: Record<string, unknown> = {};

  // serde_urlencoded reads pairs in the order they appear; the first bad one is reported.
  for (const [name, raw] of search) {
    const parameter = declared.get(name);
    if (!parameter) {
      continue;
    }

    if (name in values) {
      return deserializeError('query parameters', `duplicate field \`${name}\``);
    }

    const converted = convert(parameter.schema, raw, schemas);
    if ('error' in converted) {
      return deserializeError('query parameters', converted.error);
    }
    values[name] = converted.value;
  }

  const missing = parameters.find((parameter) => parameter.required && !(parameter.name in values));
  if (missing) {
    return deserializeError('query parameters', `missing field \`${missing.name}\``);
  }

  const issues = parameters.flatMap((parameter) => rangeIssues(parameter, values[parameter.name]));
  if (issues.length > 0) {
    return validationError('query parameters', issues);
  }

  return values;
}

function convert(node: Schema, raw: string, schemas: Record<string, Schema>): Converted {
  const { schema, name } = resolve(node, schemas);
  const types = ([] as unknown[]).concat(schema.type ?? []);

  if (Array.isArray(schema.anyOf)) {
    return convertUntagged(schema.anyOf as Schema[], name, raw, schemas);
  }

  if (Array.isArray(schema.enum)) {
    const variants = schema.enum.filter((variant) => variant !== null).map(String);
    if (variants.includes(raw)) {
      return { value: raw };
    }
    return { error: `unknown variant \`${raw}\`, ${expectedNames(variants, 'variant')}` };
  }

  if (types.includes('boolean')) {
    if (raw === 'true' || raw === 'false') {
      return { value: raw === 'true' };
    }
    return { error: 'provided string was not `true` or `false`' };
  }

  if (types.includes('integer')) {
    return convertInteger(schema, raw);
  }

  return { value: raw };
}

/** Rust's `u64::from_str` and friends, with their exact messages. */
function convertInteger(schema: Schema, raw: string): Converted {
  if (raw === '') {
    return { error: 'cannot parse integer from empty string' };
  }

  if (!/^\+?\d+$/.test(raw)) {
    return { error: 'invalid digit found in string' };
  }

  const value = BigInt(raw.replace('+', ''));
  const limit = INTEGER_LIMITS[String(schema.format)] ?? U64_MAX;
  if (value > limit) {
    return { error: 'number too large to fit in target type' };
  }

  return { value: Number(value) };
}

/** An untagged enum (e.g. `ReadConsistency`: a number or a named level). */
function convertUntagged(
  branches: Schema[],
  name: string | undefined,
  raw: string,
  schemas: Record<string, Schema>,
): Converted {
  for (const branch of branches) {
    const converted = convert(branch, raw, schemas);
    if ('value' in converted) {
      return converted;
    }
  }

  return { error: `data did not match any variant of untagged enum ${name ?? 'Value'}` };
}

function rangeIssues(parameter: OpenApiParameter, value: unknown): string[] {
  if (typeof value !== 'number') {
    return [];
  }

  const min = parameter.schema.minimum as number | undefined;
  const max = parameter.schema.maximum as number | undefined;
  if ((min === undefined || value >= min) && (max === undefined || value <= max)) {
    return [];
  }

  let bounds = `must be ${max} or smaller`;
  if (min !== undefined && max !== undefined) {
    bounds = `must be from ${min} to ${max}`;
  } else if (min !== undefined) {
    bounds = `must be ${min} or larger`;
  }

  return [`${parameter.name}: value ${value} invalid, ${bounds}`];
}

/** Follows `$ref`s, keeping the last component name (serde names untagged enums by it). */
function resolve(
  schema: Schema,
  schemas: Record<string, Schema>,
  name?: string,
): { schema: Schema; name?: string } {
  if (typeof schema.$ref !== 'string') {
    return { schema, name };
  }

  const target = schema.$ref.slice(schema.$ref.lastIndexOf('/') + 1);
  return resolve(schemas[target], schemas, target);
}
