/**
 * Test code: the Qdrant stand-in's nearest-neighbour endpoints: legacy search (a bare array of
 * `ScoredPoint`) and the universal query (`{points}`), scored by brute force (FACTS §3.5).
 */
import type { Collection } from './collections.js';
import { notImplemented, vectorDimensionError, vectorNameError } from './errors.js';
import {
  isNumberList,
  isObject,
  rejectShardKey,
  requireCollection,
  select,
  type HandlerContext,
  type Json,
} from './handler-context.js';
import { scoredPointJson } from './records.js';

/** Legacy search: the result is a bare array of `ScoredPoint`. */
export function searchPoints(context: HandlerContext): Json[] {
  const collection = requireCollection(context);
  const body = context.body as Json;
  rejectShardKey(body);

  let vectorName = '';
  let vector = body.vector;
  if (isObject(vector)) {
    vectorName = String(vector.name);
    vector = vector.vector;
  }
  if (!isNumberList(vector)) {
    throw notImplemented('sparse vector search');
  }

  return nearest(context, collection, vectorName, vector, { withPayload: false });
}

/** Universal query: only `query` as a dense vector or `{nearest: vector}` is modelled. */
export function queryPoints(context: HandlerContext): Json {
  const collection = requireCollection(context);
  const body = context.body as Json;
  rejectShardKey(body);

  for (const key of ['prefetch', 'lookup_from']) {
    if (body[key] !== undefined && body[key] !== null) {
      throw notImplemented(`query with \`${key}\``);
    }
  }

  let query = body.query;
  if (isObject(query) && 'nearest' in query) {
    if (query.mmr !== undefined && query.mmr !== null) {
      throw notImplemented('MMR re-ranking');
    }
    query = query.nearest;
  }
  if (!isNumberList(query)) {
    throw notImplemented('query other than a dense vector (ids, sparse, recommend, fusion…)');
  }

  const vectorName = typeof body.using === 'string' ? body.using : '';
  const points = nearest(context, collection, vectorName, query, {
    withPayload: false,
    limit: 10,
  });
  return { points };
}

function nearest(
  context: HandlerContext,
  collection: Collection,
  vectorName: string,
  vector: number[],
  defaults: { withPayload: boolean; limit?: number },
): Json[] {
  const body = context.body as Json;
  const space = collection.spaces.get(vectorName);

  if (!space) {
    throw vectorNameError(vectorName);
  }
  if (vector.length !== space.size) {
    throw vectorDimensionError(space.size, vector.length);
  }

  const threshold = body.score_threshold;
  const results = collection.search({
    vectorName,
    vector,
    filter: body.filter,
    limit: typeof body.limit === 'number' ? body.limit : (defaults.limit ?? 10),
    offset: typeof body.offset === 'number' ? body.offset : 0,
    // `score_threshold` is an f32 in Qdrant, so it compares with f32 scores exactly.
    scoreThreshold: typeof threshold === 'number' ? Math.fround(threshold) : undefined,
  });

  const selection = select(body, { withPayload: defaults.withPayload, withVector: false });
  return results.map(({ point, score }) => {
    return scoredPointJson(point, score, collection, selection);
  });
}
