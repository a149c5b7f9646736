/**
 * Test code: words a refused request body the way Qdrant 1.17 does. Ajv decides *whether* a
 * body breaks the OpenAPI document; this module decides *how Qdrant would say so*:
 *
 * - a shape error (wrong type, missing or unknown field, no matching variant) is serde's
 *   400 `Format error in JSON body: …`, found by walking the schema in the order serde reads
 *   the JSON, and positioned like serde_json (` at line L column C`);
 * - a value that parsed but is out of range is the `validator` crate's 422
 *   `Validation error in JSON body: [field: message]`.
 *
 * serde reports positions differently by how a type is read. A plain struct is streamed, so
 * an error points at the offending token. A struct with `#[serde(flatten)]` (search, scroll,
 * count, retrieve, query) is buffered first, so every error inside points at the body's last
 * `}`. Untagged enums are buffered too and hide their inner error behind "data did not match
 * any variant". Upsert bodies go through a custom deserializer that drops the position.
 */
import { bodyFormatError, validationError, type StandinError } from './errors.js';
import type { Schema } from './openapi-document.js';
import { locateValue } from './json-spans.js';
import { positionSuffix, skipWhitespace } from './json-text.js';
import { isUnsignedId, parseUuid } from './point-ids.js';
import { expectedNames, integerText, jsonValueDisplay, unexpected } from './rust-format.js';
import { ValidatorIssues, type Reads } from './validator-issues.js';

/** How serde reads the body's root type; decides where error positions point. */
export type RootReading = 'streamed' | 'flattened' | 'unpositioned';

type Step = string | number;

/** Where serde_json's reader stands when the error gets its position. */
type Anchor = 'keyEnd' | 'tokenEnd' | 'beforeValue' | 'peekValue' | 'containerClose' | 'afterValue';

interface ShapeFailure {
  message: string;
  anchor: Anchor;
  path: Step[];
}

const POINT_ID_SCHEMA = 'ExtendedPointId';

/** Fields whose Rust type is a `NonZero…` integer: zero fails in serde, not in `validator`. */
const NON_ZERO_FIELDS = new Set(['VectorParams.size']);

const RUST_INTEGER_TYPES: Record<string, { name: string; max: number; signed?: boolean }> = {
  uint: { name: 'usize', max: 2 ** 64 },
  uint64: { name: 'u64', max: 2 ** 64 },
  uint32: { name: 'u32', max: 2 ** 32 - 1 },
  uint16: { name: 'u16', max: 2 ** 16 - 1 },
  uint8: { name: 'u8', max: 2 ** 8 - 1 },
  int64: { name: 'i64', max: 2 ** 63, signed: true },
  int32: { name: 'i32', max: 2 ** 31 - 1, signed: true },
};

export class BodyExplainer {
  constructor(private readonly schemas: Record<string, Schema>) {}

  /**
   * The error Qdrant would answer for a body that Ajv refused, or undefined when this module
   * finds no fault (the caller then reports Ajv's own finding).
   */
  explain(
    schemaName: string,
    value: unknown,
    text: string,
    reading: RootReading,
  ): StandinError | undefined {
    const root = { $ref: `#/components/schemas/${schemaName}` };
    const failure = this.walk(root, value, [], undefined);

    if (failure) {
      return bodyFormatError(failure.message + this.suffix(failure, text, reading));
    }

    const reads: Reads = (schema, item, owner) => this.walk(schema, item, [], owner) === undefined;
    const issues = new ValidatorIssues(this.schemas, reads).collect(root, value);
    if (issues.length > 0) {
      return validationError('JSON body', issues);
    }

    return undefined;
  }

  private suffix(failure: ShapeFailure, text: string, reading: RootReading): string {
    if (reading === 'unpositioned') {
      return '';
    }

    if (reading === 'flattened') {
      return positionSuffix(text, locateValue(text, [])!.end);
    }

    const span = locateValue(text, failure.path);
    if (!span) {
      return '';
    }

    return positionSuffix(text, consumedAt(text, failure, span));
  }

  private walk(
    node: Schema,
    value: unknown,
    path: Step[],
    owner: string | undefined,
  ): ShapeFailure | undefined {
    if (typeof node.$ref === 'string') {
      const name = node.$ref.slice(node.$ref.lastIndexOf('/') + 1);
      if (name === POINT_ID_SCHEMA) {
        return checkPointId(value, path);
      }
      return this.walkNamed(this.schemas[name], value, path, name);
    }

    return this.walkNamed(node, value, path, owner);
  }

  private walkNamed(
    node: Schema,
    value: unknown,
    path: Step[],
    name: string | undefined,
  ): ShapeFailure | undefined {
    if (value === null && allowsNull(node)) {
      return undefined;
    }

    const branches = (node.anyOf ?? node.oneOf) as Schema[] | undefined;
    if (branches) {
      return this.walkVariants(branches, value, path, name);
    }

    if (Array.isArray(node.enum)) {
      return checkEnum(node.enum as unknown[], value, path);
    }

    return this.walkTyped(node, value, path, name);
  }

  /** `anyOf`: an `Option`, a one-or-many list, or an untagged enum. */
  private walkVariants(
    branches: Schema[],
    value: unknown,
    path: Step[],
    name: string | undefined,
  ): ShapeFailure | undefined {
    const present = branches.filter((branch) => branch.type !== 'null');

    if (present.length === 1) {
      return this.walk(present[0], value, path, name);
    }

    const single = oneOrManyItem(present);
    if (single && Array.isArray(value)) {
      return this.walkItems(single, value, path, name);
    }
    if (single) {
      return this.walk(single, value, path, name);
    }

    if (present.some((branch) => this.walk(branch, value, path, name) === undefined)) {
      return undefined;
    }

    const enumName = name ?? 'Value';
    const message = `data did not match any variant of untagged enum ${enumName}`;
    return { message, anchor: 'afterValue', path };
  }

  private walkTyped(
    node: Schema,
    value: unknown,
    path: Step[],
    name: string | undefined,
  ): ShapeFailure | undefined {
    const types = ([] as unknown[]).concat(node.type ?? []);

    if (types.includes('object') || node.properties) {
      return this.walkObject(node, value, path, name);
    }

    if (types.includes('array')) {
      if (!Array.isArray(value)) {
        return invalidType(value, 'a sequence', path);
      }
      return node.items ? this.walkItems(node.items as Schema, value, path, name) : undefined;
    }

    if (types.includes('integer')) {
      const field = name && path.length > 0 ? `${name}.${String(path.at(-1))}` : '';
      return checkInteger(node, value, path, NON_ZERO_FIELDS.has(field));
    }

    if (types.includes('number') && typeof value !== 'number') {
      return invalidType(value, node.format === 'double' ? 'f64' : 'f32', path);
    }

    if (types.includes('string') && typeof value !== 'string') {
      return invalidType(value, 'a string', path);
    }

    if (types.includes('boolean') && typeof value !== 'boolean') {
      return invalidType(value, 'a boolean', path);
    }

    return undefined;
  }

  private walkItems(
    items: Schema,
    value: unknown[],
    path: Step[],
    owner: string | undefined,
  ): ShapeFailure | undefined {
    for (let index = 0; index < value.length; index += 1) {
      const failure = this.walk(items, value[index], [...path, index], owner);
      if (failure) {
        return failure;
      }
    }

    return undefined;
  }

  /** Keys in the order they appear (serde streams them), then the first missing field. */
  private walkObject(
    node: Schema,
    value: unknown,
    path: Step[],
    name: string | undefined,
  ): ShapeFailure | undefined {
    const properties = (node.properties ?? {}) as Record<string, Schema>;
    const isStruct = node.properties !== undefined;

    if (!isPlainObject(value)) {
      return invalidType(value, isStruct && name ? `struct ${name}` : 'a map', path);
    }

    for (const [key, child] of Object.entries(value)) {
      const failure = this.walkMember(node, properties, key, child, path, name);
      if (failure) {
        return failure;
      }
    }

    const required = new Set((node.required ?? []) as string[]);
    const missing = Object.keys(properties).find((key) => required.has(key) && !(key in value));
    if (missing) {
      return { message: `missing field \`${missing}\``, anchor: 'containerClose', path };
    }

    return undefined;
  }

  private walkMember(
    node: Schema,
    properties: Record<string, Schema>,
    key: string,
    child: unknown,
    path: Step[],
    name: string | undefined,
  ): ShapeFailure | undefined {
    if (key in properties) {
      return this.walk(properties[key], child, [...path, key], name);
    }

    if (node.additionalProperties === false) {
      const expected = expectedNames(Object.keys(properties), 'field');
      const message = `unknown field \`${key}\`, ${expected}`;
      return { message, anchor: 'keyEnd', path: [...path, key] };
    }

    if (isPlainObject(node.additionalProperties)) {
      return this.walk(node.additionalProperties as Schema, child, [...path, key], name);
    }

    return undefined;
  }
}

/** Where serde_json's reader stands when it stamps the failure with a position. */
function consumedAt(
  text: string,
  failure: ShapeFailure,
  span: { start: number; end: number; keyEnd?: number },
): number {
  switch (failure.anchor) {
    case 'keyEnd':
      // `end_map` skips whitespace before it peeks at the `:` that follows the key.
      return skipWhitespace(text, span.keyEnd ?? span.start);
    case 'tokenEnd':
    case 'containerClose':
      return span.end;
    case 'beforeValue':
      return span.start;
    case 'peekValue':
      return span.start + 1;
    case 'afterValue':
      return afterBufferedValue(text, span.end, typeof failure.path.at(-1) === 'number');
  }
}

/**
 * A buffered value (untagged enum, custom deserializer) fails after it was read whole; the
 * enclosing streamed container then runs `end_map`/`end_seq`, which consume what comes next
 * before the position is taken.
 */
function afterBufferedValue(text: string, end: number, insideArray: boolean): number {
  const next = skipWhitespace(text, end);
  const char = text[next];

  if (char === '}' || char === ']') {
    return next + 1;
  }

  if (char === ',' && insideArray) {
    return skipWhitespace(text, next + 1);
  }

  return next;
}

function checkPointId(value: unknown, path: Step[]): ShapeFailure | undefined {
  if (isUnsignedId(value)) {
    return undefined;
  }

  if (typeof value === 'string' && parseUuid(value) !== undefined) {
    return undefined;
  }

  const shown = typeof value === 'string' ? value : jsonValueDisplay(value);
  const message =
    `value ${shown} is not a valid point ID, ` +
    'valid values are either an unsigned integer or a UUID';
  return { message, anchor: 'afterValue', path };
}

function checkEnum(variants: unknown[], value: unknown, path: Step[]): ShapeFailure | undefined {
  if (variants.includes(value)) {
    return undefined;
  }

  if (typeof value === 'string') {
    const names = variants.filter((variant) => variant !== null).map(String);
    const message = `unknown variant \`${value}\`, ${expectedNames(names, 'variant')}`;
    return { message, anchor: 'tokenEnd', path };
  }

  // serde_json's `deserialize_enum` accepts only a string or a map and peeks at anything else.
  return { message: 'expected value', anchor: 'peekValue', path };
}

function checkInteger(
  node: Schema,
  value: unknown,
  path: Step[],
  nonZero: boolean,
): ShapeFailure | undefined {
  const rust = RUST_INTEGER_TYPES[String(node.format)] ?? { name: 'i64', max: 2 ** 63 };
  const expected = nonZero ? `a nonzero ${rust.name}` : rust.name;

  if (typeof value !== 'number') {
    return invalidType(value, expected, path);
  }

  if (!Number.isInteger(value)) {
    return invalidType(value, expected, path);
  }

  const tooLow = rust.signed ? value < -rust.max : value < 0;
  if (tooLow || value > rust.max || (nonZero && value === 0)) {
    const message = `invalid value: integer \`${integerText(value)}\`, expected ${expected}`;
    return { message, anchor: 'tokenEnd', path };
  }

  return undefined;
}

function invalidType(value: unknown, expected: string, path: Step[]): ShapeFailure {
  const anchor = typeof value === 'object' && value !== null ? 'beforeValue' : 'tokenEnd';
  return { message: `invalid type: ${unexpected(value)}, expected ${expected}`, anchor, path };
}

/** The item schema when the branches are `[X, X[]]` (Qdrant's "one or many" helpers). */
function oneOrManyItem(branches: Schema[]): Schema | undefined {
  if (branches.length !== 2 || branches[1].type !== 'array') {
    return undefined;
  }

  const item = branches[1].items;
  return JSON.stringify(item) === JSON.stringify(branches[0]) ? branches[0] : undefined;
}

function allowsNull(node: Schema): boolean {
  const types = ([] as unknown[]).concat(node.type ?? []);
  const branches = (node.anyOf ?? node.oneOf ?? []) as Schema[];
  return types.includes('null') || branches.some((branch) => branch.type === 'null');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
