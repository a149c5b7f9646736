import type { PointPayload, SearchHit, StoredPoint } from '../core/types.js';

/** What a collection is for: one model, one dimension, cosine distance. */
export interface CollectionSpec {
  name: string;
  /** Length of every vector, e.g. 512 for CLIP ViT-B/32. */
  dimension: number;
  /** The model whose embeddings the collection holds. */
  model: string;
}

/** What a store reports about an existing collection. */
export interface CollectionInfo {
  name: string;
  dimension: number;
  distance: string;
  /** The model recorded at creation, when the store knows it. */
  model?: string;
  points: number;
}

export interface SearchOptions {
  /** How many hits to return. */
  limit: number;
  /** Only points whose payload category equals this. */
  category?: string;
}

/** The little a worker needs to know about an existing point to skip unchanged images. */
export interface PointDigest {
  id: string;
  sha256: string;
  model: string;
}

/**
 * Where vectors live. Two implementations: SQLite on disk (the default, no server) and
 * Qdrant. One contract test suite runs unchanged against both.
 */
export interface VectorStore {
  /** `sqlite` or `qdrant`. */
  readonly backend: string;

  /** Where the store is, for humans: a file path or a URL with secrets masked. */
  readonly location: string;

  /**
   * Creates the collection, or checks that the existing one has the same dimension and
   * distance (and model, when recorded). Throws a ConfigError naming both sides otherwise.
   * With `recreate`, an existing collection is dropped first.
   */
  ensureCollection(spec: CollectionSpec, opts?: { recreate?: boolean }): Promise<void>;

  /** The collection's description, or null when it does not exist. */
  describeCollection(name: string): Promise<CollectionInfo | null>;

  /** Inserts or replaces points by id. Resolves only once the write is durable. */
  upsertPoints(collection: string, points: StoredPoint[]): Promise<void>;

  /** The digests of those ids that exist; missing ids are absent from the map. */
  getDigests(collection: string, ids: string[]): Promise<Map<string, PointDigest>>;

  /** The full points for those ids that exist, in no particular order. */
  getPoints(collection: string, ids: string[]): Promise<StoredPoint[]>;

  deletePoints(collection: string, ids: string[]): Promise<void>;

  countPoints(collection: string): Promise<number>;

  /** Top hits by cosine similarity, best first. `vector` must be L2-normalised. */
  search(collection: string, vector: Float32Array, opts: SearchOptions): Promise<SearchHit[]>;

  /** Drops the collection; false when it did not exist. */
  deleteCollection(name: string): Promise<boolean>;

  close(): Promise<void>;
}

export type { PointPayload };
