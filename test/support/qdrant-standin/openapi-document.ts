/**
 * Test code: loads Qdrant's OpenAPI 3.0 document for the stand-in and turns its schemas into
 * JSON Schema that Ajv understands. OpenAPI 3.0 marks "may be null" with `nullable: true`
 * instead of a `null` type; this module rewrites that, and applies the few patches below
 * where the document is looser than the server.
 */
import fs from 'node:fs';

export type Schema = Record<string, unknown>;

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema: Schema;
}

export interface OpenApiOperation {
  operationId: string;
  parameters?: OpenApiParameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, Schema> };
}

/** The vendored copy; see SOURCE.md beside it. `QDRANT_OPENAPI` points at another copy. */
const DEFAULT_PATH = new URL('./openapi-v1.17.x.json', import.meta.url);

/** Keywords that describe a schema without constraining it. */
const ANNOTATIONS = new Set(['description', 'default', 'example', 'title', 'format']);

/** Reads the document and returns it with every schema translated for Ajv. */
export function loadOpenApiDocument(): OpenApiDocument {
  const location = process.env.QDRANT_OPENAPI ?? DEFAULT_PATH;
  const raw = JSON.parse(fs.readFileSync(location, 'utf8')) as OpenApiDocument;

  const schemas: Record<string, Schema> = {};
  for (const [name, schema] of Object.entries(raw.components.schemas)) {
    schemas[name] = translateSchema(schema);
  }

  patchSchemas(schemas);

  const paths: OpenApiDocument['paths'] = {};
  for (const [template, item] of Object.entries(raw.paths)) {
    paths[template] = {};
    for (const [method, operation] of Object.entries(item)) {
      paths[template][method] = translateOperation(operation);
    }
  }

  return { paths, components: { schemas } };
}

/**
 * Rewrites OpenAPI 3.0's `nullable` as JSON Schema: `type: X` becomes `type: [X, "null"]`,
 * a bare `{nullable: true}` (schemars' "or null" branch) becomes `{type: "null"}`, and a
 * nullable `$ref` or `anyOf` gains a null branch.
 */
function translateSchema(schema: Schema): Schema {
  const out: Schema = {};

  for (const [key, value] of Object.entries(schema)) {
    out[key] = translateKeyword(key, value);
  }

  if (out.nullable !== true) {
    delete out.nullable;
    return out;
  }

  delete out.nullable;

  if (typeof out.type === 'string') {
    out.type = [out.type, 'null'];
    if (Array.isArray(out.enum)) {
      out.enum = [...out.enum, null];
    }
    return out;
  }

  if (Object.keys(out).every((key) => ANNOTATIONS.has(key))) {
    return { ...out, type: 'null' };
  }

  return { anyOf: [out, { type: 'null' }] };
}

function translateKeyword(key: string, value: unknown): unknown {
  if (key === 'properties' && isObject(value)) {
    const properties: Schema = {};
    for (const [name, schema] of Object.entries(value)) {
      properties[name] = translateSchema(schema as Schema);
    }
    return properties;
  }

  if ((key === 'items' || key === 'additionalProperties' || key === 'not') && isObject(value)) {
    return translateSchema(value);
  }

  if ((key === 'anyOf' || key === 'oneOf' || key === 'allOf') && Array.isArray(value)) {
    return value.map((branch) => translateSchema(branch as Schema));
  }

  return value;
}

function translateOperation(operation: OpenApiOperation): OpenApiOperation {
  const parameters = operation.parameters?.map((parameter) => {
    const schema = translateSchema(parameter.schema);

    // The document gives collection operations' `timeout` no minimum, but the server's
    // `WaitTimeout` has `range(min = 1)`: `?timeout=0` is a 422 (FACTS §2).
    if (parameter.in === 'query' && parameter.name === 'timeout' && schema.minimum === undefined) {
      schema.minimum = 1;
    }

    return { ...parameter, schema };
  });

  const requestBody = operation.requestBody && {
    content: mapContent(operation.requestBody.content),
  };

  const responses: OpenApiOperation['responses'] = {};
  for (const [status, response] of Object.entries(operation.responses)) {
    responses[status] = response.content ? { content: mapContent(response.content) } : {};
  }

  return { ...operation, parameters, requestBody, responses };
}

function mapContent(content: Record<string, { schema: Schema }>) {
  const out: Record<string, { schema: Schema }> = {};
  for (const [type, media] of Object.entries(content)) {
    out[type] = { schema: translateSchema(media.schema) };
  }
  return out;
}

/**
 * Constraints the server enforces that the document does not state. Each makes the stand-in
 * refuse what Qdrant refuses; none loosens the document.
 */
function patchSchemas(schemas: Record<string, Schema>): void {
  const vectorSize = (schemas.VectorParams.properties as Record<string, Schema>).size;

  // `VectorParams.size` has `range(min = 1, max = 65536)`: 65537 is a 422 (FACTS §6).
  vectorSize.maximum = 65_536;
}

function isObject(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
