/**
 * Test code: the stand-in's state in Qdrant's wire format: `Record`, `ScoredPoint`,
 * `UpdateResult` and `CollectionInfo`, with the keys Qdrant omits left out (FACTS §3.4) and
 * f32 numbers printed as Rust prints them.
 */
import type { Collection, StoredPoint } from './collections.js';
import { f32ForJson } from './vector-math.js';

type Json = Record<string, unknown>;

/** Qdrant's defaults from `config/config.yaml` (FACTS §3.3). */
const HNSW_DEFAULTS = {
  m: 16,
  ef_construct: 100,
  full_scan_threshold: 10_000,
  max_indexing_threads: 0,
  on_disk: false,
};

const OPTIMIZER_DEFAULTS = {
  deleted_threshold: 0.2,
  vacuum_min_vector_number: 1000,
  default_segment_number: 0,
  max_segment_size: null,
  memmap_threshold: null,
  indexing_threshold: 10_000,
  flush_interval_sec: 5,
  max_optimization_threads: null,
};

const WAL_DEFAULTS = { wal_capacity_mb: 32, wal_segments_ahead: 0, wal_retain_closed: 1 };

/** Optional `VectorParams` keys that Qdrant echoes back when they were set. */
const VECTOR_PARAM_EXTRAS = [
  'hnsw_config',
  'quantization_config',
  'on_disk',
  'datatype',
  'multivector_config',
];

export interface Selection {
  withPayload: unknown;
  withVector: unknown;
}

export function updateResult(operationId: number, wait: boolean): Json {
  return { operation_id: operationId, status: wait ? 'completed' : 'acknowledged' };
}

export function recordJson(point: StoredPoint, collection: Collection, selection: Selection) {
  const record: Json = { id: point.id };
  addSelected(record, point, collection, selection);
  return record;
}

export function scoredPointJson(
  point: StoredPoint,
  score: number,
  collection: Collection,
  selection: Selection,
): Json {
  const scored: Json = { id: point.id, version: point.version, score: f32ForJson(score) };
  addSelected(scored, point, collection, selection);
  return scored;
}

function addSelected(
  target: Json,
  point: StoredPoint,
  collection: Collection,
  selection: Selection,
) {
  const payload = selectPayload(point.payload, selection.withPayload);
  if (payload !== undefined) {
    target.payload = payload;
  }

  const vector = selectVectors(point, collection, selection.withVector);
  if (vector !== undefined) {
    target.vector = vector;
  }
}

/** `with_payload`: true/false, a list of keys, or `{include}` / `{exclude}`. */
function selectPayload(payload: Json, selector: unknown): Json | undefined {
  if (selector === true) {
    return structuredClone(payload);
  }

  if (Array.isArray(selector)) {
    return pickKeys(payload, selector as string[]);
  }

  if (isObject(selector) && Array.isArray(selector.include)) {
    return pickKeys(payload, selector.include as string[]);
  }

  if (isObject(selector) && Array.isArray(selector.exclude)) {
    const kept = structuredClone(payload);
    for (const key of selector.exclude as string[]) {
      deletePath(kept, key.split('.'));
    }
    return kept;
  }

  return undefined;
}

/** `with_vector`: true/false or a list of vector names. */
function selectVectors(point: StoredPoint, collection: Collection, selector: unknown) {
  if (selector !== true && !Array.isArray(selector)) {
    return undefined;
  }

  const names = selector === true ? [...point.vectors.keys()] : (selector as string[]);
  const unnamed = collection.spaces.has('');

  if (unnamed) {
    const vector = point.vectors.get('');
    return vector && names.includes('') ? [...vector].map(f32ForJson) : undefined;
  }

  const out: Json = {};
  for (const name of names) {
    const vector = point.vectors.get(name);
    if (vector) {
      out[name] = [...vector].map(f32ForJson);
    }
  }
  return out;
}

export function collectionInfoJson(collection: Collection): Json {
  const config = collection.config;

  const payloadSchema: Json = {};
  for (const [field, index] of collection.payloadIndexes) {
    const info: Json = { data_type: index.dataType };
    if (index.params) {
      info.params = index.params;
    }
    info.points = collection.countWithField(field);
    payloadSchema[field] = info;
  }

  const collectionConfig: Json = {
    params: collectionParams(collection),
    hnsw_config: { ...HNSW_DEFAULTS, ...withoutNulls(config.hnsw_config) },
    optimizer_config: { ...OPTIMIZER_DEFAULTS, ...withoutNulls(config.optimizers_config) },
    wal_config: { ...WAL_DEFAULTS, ...withoutNulls(config.wal_config) },
    quantization_config: config.quantization_config ?? null,
  };

  for (const key of ['strict_mode_config', 'metadata']) {
    if (config[key] !== undefined && config[key] !== null) {
      collectionConfig[key] = config[key];
    }
  }

  return {
    status: 'green',
    optimizer_status: 'ok',
    indexed_vectors_count: 0,
    points_count: collection.points.size,
    segments_count: 1,
    config: collectionConfig,
    payload_schema: payloadSchema,
    update_queue: { length: 0 },
  };
}

function collectionParams(collection: Collection): Json {
  const config = collection.config;
  const sent = (config.vectors ?? {}) as Json;

  let vectors: Json;
  if (collection.spaces.has('')) {
    vectors = vectorParamsJson(sent);
  } else {
    vectors = {};
    for (const [name, params] of Object.entries(sent)) {
      vectors[name] = vectorParamsJson(params as Json);
    }
  }

  return {
    vectors,
    shard_number: config.shard_number ?? 1,
    replication_factor: config.replication_factor ?? 1,
    write_consistency_factor: config.write_consistency_factor ?? 1,
    on_disk_payload: config.on_disk_payload ?? true,
  };
}

function vectorParamsJson(params: Json): Json {
  const out: Json = { size: params.size, distance: params.distance };

  for (const key of VECTOR_PARAM_EXTRAS) {
    if (params[key] !== undefined && params[key] !== null) {
      out[key] = params[key];
    }
  }

  return out;
}

function pickKeys(payload: Json, keys: string[]): Json {
  const out: Json = {};

  for (const key of keys) {
    const parts = key.split('.');
    let source: unknown = payload;
    for (const part of parts) {
      source = isObject(source) ? source[part] : undefined;
    }

    if (source !== undefined) {
      setPath(out, parts, structuredClone(source));
    }
  }

  return out;
}

function setPath(target: Json, parts: string[], value: unknown): void {
  let current = target;
  for (const part of parts.slice(0, -1)) {
    if (!isObject(current[part])) {
      current[part] = {};
    }
    current = current[part] as Json;
  }
  current[parts.at(-1)!] = value;
}

function deletePath(target: Json, parts: string[]): void {
  let current: unknown = target;
  for (const part of parts.slice(0, -1)) {
    current = isObject(current) ? current[part] : undefined;
  }
  if (isObject(current)) {
    delete current[parts.at(-1)!];
  }
}

function withoutNulls(value: unknown): Json {
  if (!isObject(value)) {
    return {};
  }
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== null));
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
