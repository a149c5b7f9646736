/**
 * Test code: the `validator` crate's checks for the Qdrant stand-in. They run only once serde
 * has read the body, and each broken range or length becomes one `field: message` item of a
 * 422 `Validation error in JSON body: [...]`, with the field path as actix-web-validator
 * writes it (`vectors.size`, `points[0].vector`).
 */
import type { Schema } from './openapi-document.js';
import { integerText, rustFloat } from './rust-format.js';

/** Whether serde would read the value as this schema; picks the branch of an untagged enum. */
export type Reads = (schema: Schema, value: unknown, owner: string | undefined) => boolean;

const POINT_ID_SCHEMA = 'ExtendedPointId';

export class ValidatorIssues {
  constructor(
    private readonly schemas: Record<string, Schema>,
    private readonly reads: Reads,
  ) {}

  /** Every range and length issue in the value, as `field: message` items. */
  collect(root: Schema, value: unknown): string[] {
    const issues: string[] = [];
    this.collectRangeIssues(root, value, '', issues, undefined);
    return issues;
  }

  private collectRangeIssues(
    node: Schema,
    value: unknown,
    field: string,
    issues: string[],
    owner: string | undefined,
  ): void {
    let schema = node;
    let name = owner;

    if (typeof node.$ref === 'string') {
      name = node.$ref.slice(node.$ref.lastIndexOf('/') + 1);
      if (name === POINT_ID_SCHEMA) {
        return;
      }
      schema = this.schemas[name];
    }

    if (value === null || value === undefined) {
      return;
    }

    const branches = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
    if (branches) {
      const chosen = branches.find((branch) => this.reads(branch, value, name));
      if (chosen) {
        this.collectRangeIssues(chosen, value, field, issues, name);
      }
      return;
    }

    if (Array.isArray(value)) {
      this.collectArrayIssues(schema, value, field, issues, name);
      return;
    }

    if (isPlainObject(value)) {
      this.collectObjectIssues(schema, value, field, issues, name);
      return;
    }

    const issue = rangeIssue(schema, value);
    if (issue) {
      issues.push(`${field}: ${issue}`);
    }
  }

  private collectArrayIssues(
    schema: Schema,
    value: unknown[],
    field: string,
    issues: string[],
    name: string | undefined,
  ): void {
    const issue = lengthIssue(schema.minItems, schema.maxItems, value.length, value);
    if (issue) {
      issues.push(`${field}: ${issue}`);
    }

    if (!isPlainObject(schema.items)) {
      return;
    }

    value.forEach((item, index) => {
      this.collectRangeIssues(schema.items as Schema, item, `${field}[${index}]`, issues, name);
    });
  }

  private collectObjectIssues(
    schema: Schema,
    value: Record<string, unknown>,
    field: string,
    issues: string[],
    name: string | undefined,
  ): void {
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    const extra = isPlainObject(schema.additionalProperties)
      ? (schema.additionalProperties as Schema)
      : undefined;

    for (const [key, child] of Object.entries(value)) {
      const childSchema = properties[key] ?? extra;
      if (childSchema) {
        const childField = field ? `${field}.${key}` : key;
        this.collectRangeIssues(childSchema, child, childField, issues, name);
      }
    }
  }
}

function rangeIssue(schema: Schema, value: unknown): string | undefined {
  if (typeof value === 'string') {
    return lengthIssue(schema.minLength, schema.maxLength, value.length, value, ' characters');
  }

  if (typeof value !== 'number') {
    return undefined;
  }

  const unsigned = String(schema.format).startsWith('uint');
  const min =
    typeof schema.minimum === 'number' && !(unsigned && schema.minimum === 0)
      ? schema.minimum
      : undefined;
  const max = typeof schema.maximum === 'number' ? schema.maximum : undefined;

  if ((min === undefined || value >= min) && (max === undefined || value <= max)) {
    return undefined;
  }

  const isFloat =
    schema.type === 'number' || (Array.isArray(schema.type) && schema.type.includes('number'));
  const show = (bound: number) => (isFloat ? rustFloat(bound) : integerText(bound));
  const shownValue = Number.isInteger(value) && !isFloat ? integerText(value) : rustFloat(value);

  if (min !== undefined && max !== undefined) {
    return `value ${shownValue} invalid, must be from ${show(min)} to ${show(max)}`;
  }

  if (min !== undefined) {
    return `value ${shownValue} invalid, must be ${show(min)} or larger`;
  }

  return `value ${shownValue} invalid, must be ${show(max!)} or smaller`;
}

function lengthIssue(
  min: unknown,
  max: unknown,
  length: number,
  value: unknown,
  unit = ' characters',
): string | undefined {
  const low = typeof min === 'number' ? min : undefined;
  const high = typeof max === 'number' ? max : undefined;

  if ((low === undefined || length >= low) && (high === undefined || length <= high)) {
    return undefined;
  }

  const shown = JSON.stringify(value);
  if (low !== undefined && high !== undefined) {
    return `value ${shown} invalid, must be from ${low} to ${high}${unit}`;
  }

  if (low !== undefined) {
    return `value ${shown} invalid, must be at least ${low}${unit}`;
  }

  return `value ${shown} invalid, must be at most ${high}${unit}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
