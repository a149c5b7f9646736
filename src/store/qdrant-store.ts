import { QdrantClient } from '@qdrant/js-client-rest';

import { StoreError, isTransient } from '../core/errors.js';
import type { PointPayload, SearchHit, StoredPoint } from '../core/types.js';
import { sleep } from '../util/concurrency.js';
import { maskUrl } from '../util/mask.js';
import { classifyQdrantError } from './qdrant-errors.js';
import { ensureCollectionWith } from './compatibility.js';
import type {
  CollectionInfo,
  CollectionSpec,
  PointDigest,
  SearchOptions,
  VectorStore,
} from './vector-store.js';

/** Qdrant refuses request bodies over 32 MiB; stay well below it. */
const MAX_BODY_BYTES = 24 * 1024 * 1024;

export interface QdrantStoreOptions {
  url: string;
  /** Never printed. */
  apiKey?: string;
  /** Per-request timeout, ms. Default 10 000 (the client's own default is 300 s). */
  timeoutMs?: number;
  /** Most points in one upsert request. Default 256, Qdrant's suggested upper bound. */
  maxPointsPerRequest?: number;
  /** Attempts per request for transient faults (refused, 5xx, 429, timeout). Default 4. */
  attempts?: number;
}

/** The payload as stored in Qdrant: snake_case, the original ids kept readable. */
interface QdrantPayload {
  product_id: string;
  name: string;
  category: string;
  image_path: string;
  image_key: string;
  sha256: string;
  model: string;
  indexed_at: string;
  extra: Record<string, string>;
}

/**
 * The production store: a Qdrant collection per idx collection, Cosine distance, payload
 * indexes on product id and category. Writes use `wait=true`, so a job succeeds only once
 * Qdrant has applied its point.
 */
export class QdrantStore implements VectorStore {
  readonly backend = 'qdrant';
  readonly location: string;
  private readonly client: QdrantClient;
  private readonly timeoutMs: number;
  private readonly maxPoints: number;
  private readonly attempts: number;

  constructor(opts: QdrantStoreOptions) {
    this.location = maskUrl(opts.url);
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maxPoints = opts.maxPointsPerRequest ?? 256;
    this.attempts = opts.attempts ?? 4;

    // The client drops a path in `url` and appends :6333 to a URL without a port; both
    // are made explicit here so that the URL the user gave is the one that is used.
    const parsed = new URL(opts.url);
    const defaultPort = parsed.protocol === 'https:' ? 443 : 6333;
    this.client = new QdrantClient({
      url: `${parsed.protocol}//${parsed.hostname}`,
      port: parsed.port ? Number(parsed.port) : defaultPort,
      prefix: parsed.pathname === '/' ? undefined : parsed.pathname.replace(/\/$/, ''),
      apiKey: opts.apiKey,
      timeout: this.timeoutMs,
      checkCompatibility: false,
    });
  }

  async ensureCollection(spec: CollectionSpec, opts: { recreate?: boolean } = {}): Promise<void> {
    await ensureCollectionWith(this, spec, opts, async () => {
      try {
        await this.call(() =>
          this.client.api().createCollection({
            collection_name: spec.name,
            vectors: { size: spec.dimension, distance: 'Cosine' },
            metadata: { idx_model: spec.model },
          }),
        );
      } catch (err) {
        // Another worker created it between our check and our create: check theirs.
        if (!/already exists/.test((err as Error).message)) {
          throw err;
        }
      }
      await this.createPayloadIndexes(spec.name);
    });
  }

  async describeCollection(name: string): Promise<CollectionInfo | null> {
    const { exists } = await this.call(() => this.client.collectionExists(name));
    if (!exists) {
      return null;
    }

    const info = await this.call(() => this.client.getCollection(name));
    const vectors = info.config.params.vectors as { size?: number; distance?: string } | undefined;
    const metadata = (info.config as { metadata?: { idx_model?: unknown } }).metadata;
    return {
      name,
      dimension: vectors?.size ?? 0,
      distance: vectors?.distance ?? 'named vectors',
      model: typeof metadata?.idx_model === 'string' ? metadata.idx_model : undefined,
      points: await this.countPoints(name),
    };
  }

  async upsertPoints(collection: string, points: StoredPoint[]): Promise<void> {
    for (const chunk of this.chunkForRequests(points)) {
      await this.call(() =>
        this.client.upsert(collection, {
          wait: true,
          points: chunk.map((point) => ({
            id: point.id,
            vector: Array.from(point.vector),
            payload: toQdrantPayload(point.payload) as unknown as Record<string, unknown>,
          })),
        }),
      );
    }
  }

  async getDigests(collection: string, ids: string[]): Promise<Map<string, PointDigest>> {
    const digests = new Map<string, PointDigest>();
    if (ids.length === 0) {
      return digests;
    }

    const records = await this.call(() =>
      this.client.retrieve(collection, {
        ids,
        with_payload: ['sha256', 'model'],
        with_vector: false,
      }),
    );
    for (const record of records) {
      const payload = record.payload as { sha256?: string; model?: string } | null | undefined;
      digests.set(String(record.id), {
        id: String(record.id),
        sha256: payload?.sha256 ?? '',
        model: payload?.model ?? '',
      });
    }
    return digests;
  }

  async getPoints(collection: string, ids: string[]): Promise<StoredPoint[]> {
    if (ids.length === 0) {
      return [];
    }

    const records = await this.call(() =>
      this.client.retrieve(collection, { ids, with_payload: true, with_vector: true }),
    );
    return records.map((record) => ({
      id: String(record.id),
      vector: Float32Array.from(record.vector as number[]),
      payload: fromQdrantPayload(record.payload as unknown as QdrantPayload),
    }));
  }

  async deletePoints(collection: string, ids: string[]): Promise<void> {
    if (ids.length > 0) {
      await this.call(() => this.client.delete(collection, { points: ids, wait: true }));
    }
  }

  async countPoints(collection: string): Promise<number> {
    const { count } = await this.call(() => this.client.count(collection, { exact: true }));
    return count;
  }

  async search(
    collection: string,
    vector: Float32Array,
    opts: SearchOptions,
  ): Promise<SearchHit[]> {
    const filter =
      opts.category === undefined
        ? undefined
        : { must: [{ key: 'category', match: { value: opts.category } }] };

    const { points } = await this.call(() =>
      this.client.query(collection, {
        query: Array.from(vector),
        limit: opts.limit,
        filter,
        with_payload: true,
      }),
    );
    return points.map((point) => ({
      id: String(point.id),
      score: point.score,
      payload: fromQdrantPayload(point.payload as unknown as QdrantPayload),
    }));
  }

  async deleteCollection(name: string): Promise<boolean> {
    return this.call(() => this.client.deleteCollection(name));
  }

  async close(): Promise<void> {}

  private async createPayloadIndexes(collection: string): Promise<void> {
    for (const field of ['product_id', 'category']) {
      await this.call(() =>
        this.client.createPayloadIndex(collection, {
          field_name: field,
          field_schema: 'keyword',
          wait: true,
        }),
      );
    }
  }

  // Splits points so that each request has at most maxPoints points and stays well under
  // Qdrant's 32 MiB body limit (a 512-D point is about 10 KB of JSON).
  private chunkForRequests(points: StoredPoint[]): StoredPoint[][] {
    const chunks: StoredPoint[][] = [];
    let chunk: StoredPoint[] = [];
    let bytes = 0;

    for (const point of points) {
      const size = point.vector.length * 12 + JSON.stringify(point.payload).length + 64;
      if (chunk.length > 0 && (chunk.length >= this.maxPoints || bytes + size > MAX_BODY_BYTES)) {
        chunks.push(chunk);
        chunk = [];
        bytes = 0;
      }
      chunk.push(point);
      bytes += size;
    }

    if (chunk.length > 0) {
      chunks.push(chunk);
    }
    return chunks;
  }

  // Every request goes through here: errors are classified once, and transient ones are
  // retried with exponential backoff, honouring the server's Retry-After.
  private async call<T>(request: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await request();
      } catch (raw) {
        const err = classifyQdrantError(raw, this.location, this.timeoutMs);
        // A silent server is not retried here: each attempt would cost the full timeout.
        // The job-level retry gives it another chance later.
        const silent = (err as { code?: string }).code === 'QDRANT_TIMEOUT';
        if (!isTransient(err) || silent || attempt >= this.attempts) {
          throw err;
        }
        const backoff = 250 * 2 ** (attempt - 1);
        await sleep(Math.max(backoff, (err as { retryAfterMs?: number }).retryAfterMs ?? 0));
      }
    }
  }
}

function toQdrantPayload(payload: PointPayload): QdrantPayload {
  return {
    product_id: payload.productId,
    name: payload.name,
    category: payload.category,
    image_path: payload.imagePath,
    image_key: payload.imageKey,
    sha256: payload.sha256,
    model: payload.model,
    indexed_at: payload.indexedAt,
    extra: payload.extra,
  };
}

function fromQdrantPayload(payload: QdrantPayload | null | undefined): PointPayload {
  if (!payload) {
    throw new StoreError('A Qdrant point has no payload; it was not written by idx.');
  }
  return {
    productId: payload.product_id,
    name: payload.name,
    category: payload.category,
    imagePath: payload.image_path,
    imageKey: payload.image_key,
    sha256: payload.sha256,
    model: payload.model,
    indexedAt: payload.indexed_at,
    extra: payload.extra ?? {},
  };
}
