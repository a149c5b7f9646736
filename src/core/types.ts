/**
 * The shapes that cross module boundaries. Wire formats (Redis job JSON, Qdrant's
 * snake_case, SQLite rows) are converted to and from these in their adapters.
 */

/** One image to index, as described by enqueue and carried by a queued job. */
export interface ImageJob {
  /** The product this image belongs to, e.g. `SKU-000123`. */
  productId: string;
  /** Display name of the product; defaults to the product id. */
  name: string;
  /** Category, or the empty string when unknown. */
  category: string;
  /** Absolute path of the image file. */
  imagePath: string;
  /**
   * The image's identity within its product: the manifest's `image` column, or the path
   * relative to the folder given to enqueue. With the product id it determines the point id,
   * so it is the same on every machine.
   */
  imageKey: string;
  /** File size in bytes when enqueued. */
  size: number;
  /** File modification time when enqueued, in milliseconds since the epoch. */
  mtimeMs: number;
  /** Hex sha256 of the file's bytes when enqueued. */
  sha256: string;
  /** Extra manifest columns, stored in the payload as they are. */
  extra: Record<string, string>;
  /** The model to embed with (hub id or folder); a collection never mixes models. */
  model: string;
  /** The model's dtype, `fp32` or `q8`. */
  dtype: Dtype;
  /** The collection to write to. */
  collection: string;
}

export type Dtype = 'fp32' | 'q8';

/** What became of one image. Every image ends in exactly one of these. */
export type Outcome =
  | { status: 'indexed'; pointId: string; note?: string }
  | { status: 'skipped'; pointId: string; reason: string }
  | { status: 'failed'; reason: string; code: string };

/** A point as idx stores it: one per (product id, image path). */
export interface StoredPoint {
  /** Deterministic UUID derived from the product id and image path. */
  id: string;
  vector: Float32Array;
  payload: PointPayload;
}

/** The payload kept beside each vector, in camelCase; stores map it to their own format. */
export interface PointPayload {
  productId: string;
  name: string;
  category: string;
  imagePath: string;
  imageKey: string;
  sha256: string;
  model: string;
  indexedAt: string;
  extra: Record<string, string>;
}

/** One search hit. */
export interface SearchHit {
  id: string;
  score: number;
  payload: PointPayload;
}

/** A minimal logger the library writes to; the CLI decides where lines go. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

/** A logger that drops everything; the library default. */
export const silentLogger: Logger = {
  info: () => {},
  warn: () => {},
  debug: () => {},
};
