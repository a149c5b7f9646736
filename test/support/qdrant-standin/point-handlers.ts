/**
 * Test code: the Qdrant stand-in's point endpoints: upsert, retrieve, delete, count and
 * scroll. Defaults, orderings and messages follow shared/qdrant/FACTS.md §3.4.
 */
import type { Collection, IncomingPoint } from './collections.js';
import {
  notImplemented,
  pointIdNotRecognised,
  pointNotFound,
  vectorDimensionError,
  vectorNameError,
} from './errors.js';
import { assertFilterSupported, matchesFilter } from './filters.js';
import {
  isNumberList,
  isObject,
  rejectShardKey,
  requireCollection,
  select,
  type HandlerContext,
  type Json,
} from './handler-context.js';
import { idKey, pointIdFromJson, pointIdFromPath, type PointId } from './point-ids.js';
import { recordJson, updateResult } from './records.js';

/**
 * Upsert. With `wait=true` a point whose vector does not fit refuses the whole request (real
 * Qdrant may already have applied the points before it: stricter here, see FACTS §3.4). Without
 * `wait` the answer is "acknowledged" and such a point is silently dropped, as 1.17 does.
 */
export function upsertPoints(context: HandlerContext): Json {
  const collection = requireCollection(context);
  const body = context.body as Json;
  const wait = context.query.wait === true;

  rejectShardKey(body);
  assertFilterSupported(body.update_filter);

  const incoming = 'batch' in body ? batchPoints(body.batch as Json) : listPoints(body.points);
  const fitting: IncomingPoint[] = [];

  for (const point of incoming) {
    const mismatch = collection.findMismatch(point);
    if (mismatch && wait) {
      throw 'unknownName' in mismatch
        ? vectorNameError(mismatch.unknownName)
        : vectorDimensionError(mismatch.expected, mismatch.received);
    }
    if (!mismatch) {
      fitting.push(point);
    }
  }

  const operation = collection.nextOperation();
  collection.store(applyUpdateMode(collection, fitting, body), operation);
  return updateResult(operation, wait);
}

/** `points` form; with a repeated id the last copy wins, as in Qdrant (qdrant#9585). */
function listPoints(points: unknown): IncomingPoint[] {
  const byId = new Map<string, IncomingPoint>();

  for (const point of points as Json[]) {
    const id = pointIdFromJson(point.id)!;
    const vector = point.vector;
    const payload = isObject(point.payload) ? point.payload : {};

    byId.delete(idKey(id));
    byId.set(idKey(id), { id, vectors: denseVectors(vector), payload });
  }

  return [...byId.values()];
}

function batchPoints(batch: Json): IncomingPoint[] {
  const ids = (batch.ids as unknown[]).map((id) => pointIdFromJson(id)!);
  const payloads = (batch.payloads ?? []) as unknown[];
  const vectors = batch.vectors;
  const points: Json[] = [];

  const lengths = [ids.length];
  if (Array.isArray(vectors)) {
    lengths.push(vectors.length);
  } else {
    lengths.push(...Object.values(vectors as Json).map((list) => (list as unknown[]).length));
  }
  if (batch.payloads !== undefined && batch.payloads !== null) {
    lengths.push(payloads.length);
  }
  if (lengths.some((length) => length !== ids.length)) {
    throw notImplemented('batches whose ids, vectors and payloads differ in length');
  }

  ids.forEach((id, index) => {
    const vector = Array.isArray(vectors)
      ? vectors[index]
      : Object.fromEntries(
          Object.entries(vectors as Json).map(([name, list]) => {
            return [name, (list as unknown[])[index]];
          }),
        );
    points.push({ id, vector, payload: payloads[index] });
  });

  return listPoints(points);
}

function denseVectors(vector: unknown): Map<string, number[]> {
  if (isNumberList(vector)) {
    return new Map([['', vector]]);
  }

  // Anything but dense lists (multivectors, sparse vectors, inference objects such as
  // `{text, model}`) is outside what the stand-in models.
  if (!isObject(vector) || !Object.values(vector).every(isNumberList)) {
    throw notImplemented('multivectors, sparse vectors and inference objects');
  }

  return new Map(Object.entries(vector) as Array<[string, number[]]>);
}

function applyUpdateMode(
  collection: Collection,
  points: IncomingPoint[],
  body: Json,
): IncomingPoint[] {
  const mode = body.update_mode ?? 'upsert';
  const filter = body.update_filter;

  return points.filter((point) => {
    const existing = collection.get(point.id);

    if (mode === 'insert_only' && existing) {
      return false;
    }
    if (mode === 'update_only' && !existing) {
      return false;
    }
    if (existing && filter !== undefined && filter !== null) {
      return matchesFilter(filter, { ...existing, vectorNames: existing.vectors.keys() });
    }
    return true;
  });
}

export function retrievePoints(context: HandlerContext): Json[] {
  const collection = requireCollection(context);
  const body = context.body as Json;
  const selection = select(body, { withPayload: true, withVector: false });
  const seen = new Set<string>();
  const records: Json[] = [];

  for (const raw of body.ids as unknown[]) {
    const id = pointIdFromJson(raw)!;
    const point = collection.get(id);
    if (point && !seen.has(idKey(id))) {
      seen.add(idKey(id));
      records.push(recordJson(point, collection, selection));
    }
  }

  return records;
}

export function getPoint(context: HandlerContext): Json {
  const raw = context.pathValues.id;
  const id = pointIdFromPath(raw);

  // Qdrant parses the id before it looks for the collection.
  if (id === undefined) {
    throw pointIdNotRecognised(raw);
  }

  const collection = requireCollection(context);
  const point = collection.get(id);
  if (!point) {
    throw pointNotFound(id);
  }

  return recordJson(point, collection, { withPayload: true, withVector: true });
}

export function deletePoints(context: HandlerContext): Json {
  const collection = requireCollection(context);
  const body = context.body as Json;

  rejectShardKey(body);

  // `PointsSelector` is untagged: a body with `points` is an id list even if it has a filter.
  const ids: PointId[] = Array.isArray(body.points)
    ? body.points.map((raw) => pointIdFromJson(raw)!)
    : collection.select(body.filter).map((point) => point.id);

  collection.delete(ids);
  return updateResult(collection.nextOperation(), context.query.wait === true);
}

export function countPoints(context: HandlerContext): Json {
  const collection = requireCollection(context);
  const body = (context.body ?? {}) as Json;
  rejectShardKey(body);

  return { count: collection.select(body.filter).length };
}

export function scrollPoints(context: HandlerContext): Json {
  const collection = requireCollection(context);
  const body = (context.body ?? {}) as Json;
  rejectShardKey(body);

  if (body.order_by !== undefined && body.order_by !== null) {
    throw notImplemented('scroll with `order_by`');
  }

  const offset =
    body.offset === undefined || body.offset === null ? undefined : pointIdFromJson(body.offset);
  const limit = typeof body.limit === 'number' ? body.limit : 10;
  const { page, nextOffset } = collection.scroll(body.filter, offset, limit);
  const selection = select(body, { withPayload: true, withVector: false });

  return {
    points: page.map((point) => recordJson(point, collection, selection)),
    next_page_offset: nextOffset ?? null,
  };
}
