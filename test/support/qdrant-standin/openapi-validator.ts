/**
 * Test code: checks every request the Qdrant stand-in receives against Qdrant's own OpenAPI
 * document, so the stand-in can never accept a request production would refuse. Routes,
 * path parameters, query strings and JSON bodies are all checked; refusals are worded as
 * Qdrant words them (see body-explainer.ts and query-parameters.ts).
 *
 * The Ajv validators are compiled once per process, on first use, and shared by every
 * stand-in the process starts.
 */
import { Ajv, type ValidateFunction } from 'ajv';

import { BodyExplainer, type RootReading } from './body-explainer.js';
import { bodyFormatError, validationError, type StandinError } from './errors.js';
import { locateValue } from './json-spans.js';
import { parseJsonText, positionSuffix } from './json-text.js';
import {
  loadOpenApiDocument,
  type OpenApiOperation,
  type OpenApiParameter,
  type Schema,
} from './openapi-document.js';
import { parseUuid } from './point-ids.js';
import { readQueryParameters } from './query-parameters.js';

/** One operation of the document, ready to match and validate against. */
export interface Route {
  operationId: string;
  method: string;
  template: string;
  pathNames: string[];
  queryParameters: OpenApiParameter[];
  bodySchemaName?: string;
  responseValidator?: ValidateFunction;
  pattern: RegExp;
  literalSegments: number;
}

export interface RouteMatch {
  route: Route;
  pathValues: Record<string, string>;
}

/** Bodies whose root type Qdrant reads through `#[serde(flatten)]` (FACTS §3.4, §3.5). */
const FLATTENED_ROOTS = new Set([
  'SearchRequest',
  'ScrollRequest',
  'CountRequest',
  'PointRequest',
  'QueryRequest',
]);

const COLLECTION_NAME_MAX = 255;

/** Characters a new collection's name may not contain (`validate_collection_name`). */
const FORBIDDEN_NAME_CHARS = ['<', '>', ':', '"', '/', '\\', '|', '?', '*', '\0', '\u001f'];

const UPSERT_FORMAT_ERROR = 'Invalid PointInsertOperations format';

/**
 * serde aliases the document does not mention: `#[serde(alias = "with_vectors")]` on the read
 * requests and `vectors` for a point's `vector`. The alias is renamed before validation so the
 * value is checked; sending both spellings is serde's "duplicate field".
 */
const VECTOR_ALIAS = { alias: 'with_vectors', field: 'with_vector' };
const POINT_VECTOR_ALIAS = { alias: 'vectors', field: 'vector' };
const ALIASED_ROOTS = new Set(['SearchRequest', 'ScrollRequest', 'PointRequest']);

export class OpenApiValidator {
  private readonly routes: Route[] = [];
  private readonly bodyValidators = new Map<string, ValidateFunction>();
  private readonly explainer: BodyExplainer;
  private readonly schemas: Record<string, Schema>;
  private readonly ajv: Ajv;

  constructor() {
    const document = loadOpenApiDocument();
    this.ajv = createAjv();
    this.ajv.addSchema({ $id: 'qdrant', components: document.components });
    this.schemas = document.components.schemas;
    this.explainer = new BodyExplainer(this.schemas);

    for (const [template, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        this.routes.push(this.buildRoute(template, method.toUpperCase(), operation));
      }
    }

    // Upsert bodies are read by branch (`batch` wins over `points`), so each has its own.
    this.compileBody('PointsBatch');
    this.compileBody('PointsList');
  }

  /** The operation a method and path name, preferring literal segments over parameters. */
  match(method: string, path: string): RouteMatch | undefined {
    let best: RouteMatch | undefined;

    for (const route of this.routes) {
      if (route.method !== method) {
        continue;
      }

      const found = route.pattern.exec(path);
      if (!found || (best && best.route.literalSegments >= route.literalSegments)) {
        continue;
      }

      const pathValues: Record<string, string> = {};
      route.pathNames.forEach((name, index) => {
        pathValues[name] = safeDecode(found[index + 1]);
      });
      best = { route, pathValues };
    }

    return best;
  }

  /** Path parameters: collection names are length-checked, and strictly on create. */
  checkPath(match: RouteMatch): StandinError | undefined {
    const name = match.pathValues.collection_name;
    if (name === undefined) {
      return undefined;
    }

    const length = [...name].length;
    if (length < 1 || length > COLLECTION_NAME_MAX) {
      const shown = JSON.stringify(name);
      const text = `value ${shown} invalid, must be from 1 to ${COLLECTION_NAME_MAX} characters`;
      return validationError('path parameters', [`name: ${text}`]);
    }

    if (match.route.operationId !== 'create_collection') {
      return undefined;
    }

    const forbidden = FORBIDDEN_NAME_CHARS.find((char) => name.includes(char));
    if (forbidden !== undefined) {
      const text = `collection name cannot contain "${forbidden}" char`;
      return validationError('path parameters', [`name: ${text}`]);
    }

    return undefined;
  }

  /** The declared query parameters, typed; unknown ones are ignored as serde ignores them. */
  readQuery(route: Route, search: URLSearchParams): Record<string, unknown> | StandinError {
    return readQueryParameters(route.queryParameters, search, this.schemas);
  }

  /** The parsed body, or the error Qdrant would answer; undefined when there is no body. */
  readBody(route: Route, text: string): { value: unknown } | StandinError {
    const parsed = parseJsonText(text);
    if (!parsed.ok) {
      return bodyFormatError(parsed.message);
    }

    if (route.operationId === 'upsert_points') {
      return this.checkUpsertBody(parsed.value, text);
    }

    const schemaName = route.bodySchemaName!;
    const reading = this.rootReading(schemaName);
    const duplicate = ALIASED_ROOTS.has(schemaName) && applyAlias(parsed.value, VECTOR_ALIAS);
    if (duplicate) {
      const end = locateValue(text, [])!.end;
      const suffix = reading === 'flattened' ? positionSuffix(text, end) : '';
      return bodyFormatError(`duplicate field \`${duplicate}\`${suffix}`);
    }

    const refusal = this.check(schemaName, parsed.value, text, reading);

    return refusal ?? { value: parsed.value };
  }

  /** A response that strays from the document is a stand-in bug; this names the first fault. */
  checkResponse(route: Route, body: unknown): string | undefined {
    const validate = route.responseValidator;
    if (!validate || validate(body)) {
      return undefined;
    }

    const [first] = validate.errors ?? [];
    return `${first?.instancePath || '/'} ${first?.message ?? 'is invalid'}`;
  }

  private checkUpsertBody(value: unknown, text: string): { value: unknown } | StandinError {
    const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
    if (!isObject || !('batch' in value || 'points' in value)) {
      return bodyFormatError(UPSERT_FORMAT_ERROR);
    }

    const body = value as Record<string, unknown>;
    const schemaName = 'batch' in body ? 'PointsBatch' : 'PointsList';
    const points = schemaName === 'PointsList' && Array.isArray(body.points) ? body.points : [];
    for (const point of points) {
      const duplicate = applyAlias(point, POINT_VECTOR_ALIAS);
      if (duplicate) {
        return bodyFormatError(`duplicate field \`${duplicate}\``);
      }
    }

    const refusal = this.check(schemaName, value, text, 'unpositioned');

    return refusal ?? { value };
  }

  private check(
    schemaName: string,
    value: unknown,
    text: string,
    reading: RootReading,
  ): StandinError | undefined {
    const validate = this.bodyValidators.get(schemaName) ?? this.compileBody(schemaName);
    if (validate(value)) {
      return undefined;
    }

    const explained = this.explainer.explain(schemaName, value, text, reading);
    if (explained) {
      return explained;
    }

    // The explainer and Ajv disagree: still refuse, in Ajv's words.
    const [first] = validate.errors ?? [];
    const where = first?.instancePath || '/';
    return bodyFormatError(`${where} ${first?.message ?? 'is invalid'}`);
  }

  private rootReading(schemaName: string): RootReading {
    if (FLATTENED_ROOTS.has(schemaName)) {
      return 'flattened';
    }

    // A root that is itself an untagged enum fails without a position.
    const root = this.schemas[schemaName];
    return root.anyOf || root.oneOf ? 'unpositioned' : 'streamed';
  }

  private compileBody(schemaName: string): ValidateFunction {
    const validate = this.ajv.compile({ $ref: `qdrant#/components/schemas/${schemaName}` });
    this.bodyValidators.set(schemaName, validate);
    return validate;
  }

  private buildRoute(template: string, method: string, operation: OpenApiOperation): Route {
    const pathNames: string[] = [];
    const segments = template.split('/').filter(Boolean);
    const source = segments
      .map((segment) => {
        const parameter = /^\{(.+)\}$/.exec(segment);
        if (parameter) {
          pathNames.push(parameter[1]);
          return '/([^/]+)';
        }
        return `/${escapeRegExp(segment)}`;
      })
      .join('');

    const bodySchema = operation.requestBody?.content['application/json']?.schema;
    const bodySchemaName =
      typeof bodySchema?.$ref === 'string'
        ? bodySchema.$ref.slice(bodySchema.$ref.lastIndexOf('/') + 1)
        : undefined;
    if (bodySchemaName) {
      this.compileBody(bodySchemaName);
    }

    const success = operation.responses['200']?.content?.['application/json']?.schema;
    const responseValidator = success ? this.ajv.compile(withQdrantRefs(success)) : undefined;

    return {
      operationId: operation.operationId,
      method,
      template,
      pathNames,
      queryParameters: (operation.parameters ?? []).filter((p) => p.in === 'query'),
      bodySchemaName,
      responseValidator,
      pattern: new RegExp(`^${source || '/'}$`),
      literalSegments: segments.length - pathNames.length,
    };
  }
}

let shared: OpenApiValidator | undefined;

/** The process-wide validator; compiling the document takes a moment, so it happens once. */
export function getOpenApiValidator(): OpenApiValidator {
  shared ??= new OpenApiValidator();
  return shared;
}

function createAjv(): Ajv {
  // strict: false because the document carries OpenAPI-only keywords (`example`, ...).
  const ajv = new Ajv({ strict: false, allErrors: false });

  const integerFormat = (max: number, min = 0) => ({
    type: 'number' as const,
    validate: (value: number) => Number.isInteger(value) && value >= min && value <= max,
  });

  ajv.addFormat('uint', integerFormat(2 ** 64));
  ajv.addFormat('uint64', integerFormat(2 ** 64));
  ajv.addFormat('uint32', integerFormat(2 ** 32 - 1));
  ajv.addFormat('uint16', integerFormat(2 ** 16 - 1));
  ajv.addFormat('uint8', integerFormat(2 ** 8 - 1));
  ajv.addFormat('int64', integerFormat(2 ** 63, -(2 ** 63)));
  ajv.addFormat('int32', integerFormat(2 ** 31 - 1, -(2 ** 31)));

  // serde reads any JSON number into f32/f64 (an f32 overflow becomes infinity, no error).
  ajv.addFormat('float', { type: 'number', validate: () => true });
  ajv.addFormat('double', { type: 'number', validate: () => true });

  // A UUID in any spelling the `uuid` crate parses, not only RFC 4122's hyphenated one.
  ajv.addFormat('uuid', { type: 'string', validate: (text) => parseUuid(text) !== undefined });

  // Qdrant parses these leniently itself (several datetime layouts); the document's formats
  // are descriptions there, not checks.
  for (const format of ['date-time', 'partial-date-time', 'uri']) {
    ajv.addFormat(format, { type: 'string', validate: () => true });
  }

  return ajv;
}

/** Response schemas use `#/components/...` refs, which live in the `qdrant` schema. */
function withQdrantRefs(schema: Schema): Schema {
  return JSON.parse(
    JSON.stringify(schema).replaceAll('"#/components/', '"qdrant#/components/'),
  ) as Schema;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Renames an alias key in place; returns the field name when both spellings were sent. */
function applyAlias(value: unknown, names: { alias: string; field: string }): string | undefined {
  if (typeof value !== 'object' || value === null || !(names.alias in value)) {
    return undefined;
  }

  const record = value as Record<string, unknown>;
  if (names.field in record) {
    return names.field;
  }

  record[names.field] = record[names.alias];
  delete record[names.alias];
  return undefined;
}
