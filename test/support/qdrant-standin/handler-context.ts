/**
 * Test code: what every Qdrant stand-in handler shares: the request it is given and small
 * readers for the validated body.
 */
import type { Collection, CollectionStore } from './collections.js';
import { collectionNotFound, notImplemented } from './errors.js';
import type { Selection } from './records.js';

export type Json = Record<string, unknown>;

/** A request that already passed OpenAPI validation. */
export interface HandlerContext {
  store: CollectionStore;
  pathValues: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
}

/** Returns the envelope's `result`, or throws a `StandinError`. */
export type Handler = (context: HandlerContext) => unknown;

/** `with_payload` / `with_vector`, falling back to the defaults. */
export function select(
  body: Json,
  defaults: { withPayload: boolean; withVector: boolean },
): Selection {
  return {
    withPayload: body.with_payload ?? defaults.withPayload,
    withVector: body.with_vector ?? defaults.withVector,
  };
}

export function rejectShardKey(body: Json): void {
  if (body.shard_key !== undefined && body.shard_key !== null) {
    throw notImplemented('shard keys');
  }
}

export function requireCollection(context: HandlerContext): Collection {
  const name = context.pathValues.collection_name;
  const collection = context.store.get(name);

  if (!collection) {
    throw collectionNotFound(name);
  }

  return collection;
}

export function isNumberList(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'number');
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
