/**
 * Test code: the Qdrant stand-in's collection endpoints: create, describe and payload
 * indexes. Defaults and messages follow shared/qdrant/FACTS.md §3.3 and §3.6.
 */
import { Collection, type VectorSpace } from './collections.js';
import { collectionAlreadyExists, fieldSchemaMissing, notImplemented } from './errors.js';
import { isObject, requireCollection, type HandlerContext, type Json } from './handler-context.js';
import { updateResult } from './records.js';
import type { Distance } from './vector-math.js';

export function createCollection(context: HandlerContext): boolean {
  const name = context.pathValues.collection_name;
  const body = (context.body ?? {}) as Json;

  if (context.store.get(name)) {
    throw collectionAlreadyExists(name);
  }

  if (isObject(body.sparse_vectors) && Object.keys(body.sparse_vectors).length > 0) {
    throw notImplemented('sparse vectors');
  }
  if (body.sharding_method === 'custom') {
    throw notImplemented('custom sharding');
  }

  context.store.add(new Collection(name, vectorSpaces(body.vectors), body));
  return true;
}

/** `vectors` is one `VectorParams` (the unnamed vector) or a map of name to params. */
function vectorSpaces(vectors: unknown): Map<string, VectorSpace> {
  const spaces = new Map<string, VectorSpace>();
  if (!isObject(vectors)) {
    return spaces;
  }

  const entries = 'size' in vectors ? [['', vectors] as const] : Object.entries(vectors);
  for (const [name, params] of entries) {
    const { size, distance, datatype, multivector_config: multivector } = params as Json;

    if (multivector !== undefined && multivector !== null) {
      throw notImplemented('multivectors');
    }
    if (datatype !== undefined && datatype !== null && datatype !== 'float32') {
      throw notImplemented(`the ${String(datatype)} vector datatype`);
    }

    spaces.set(name, { size: Number(size), distance: distance as Distance });
  }

  return spaces;
}

export function createFieldIndex(context: HandlerContext): Json {
  const body = context.body as Json;

  // Qdrant refuses a missing schema before it looks for the collection.
  if (body.field_schema === undefined || body.field_schema === null) {
    throw fieldSchemaMissing();
  }

  const collection = requireCollection(context);
  const schema = body.field_schema;
  const dataType = isObject(schema) ? String(schema.type) : String(schema);
  const params = isObject(schema) ? schema : undefined;

  collection.payloadIndexes.set(String(body.field_name), { dataType, params });
  return updateResult(collection.nextOperation(), context.query.wait === true);
}
