import type { Dtype, ImageJob } from '../core/types.js';

/**
 * The JSON a queued job carries in Redis. Versioned so that a newer worker can refuse,
 * with a clear reason, a job written by an incompatible enqueue.
 */
export interface JobWire {
  v: 1;
  product_id: string;
  name: string;
  category: string;
  image_path: string;
  image_key: string;
  size: number;
  mtime_ms: number;
  sha256: string;
  extra: Record<string, string>;
  model: string;
  dtype: Dtype;
  collection: string;
  enqueued_at: number;
  /** Set on probe jobs from `idx diagnose`, which clean up after themselves. */
  probe?: boolean;
}

export function toWire(job: ImageJob, enqueuedAt = Date.now()): JobWire {
  return {
    v: 1,
    product_id: job.productId,
    name: job.name,
    category: job.category,
    image_path: job.imagePath,
    image_key: job.imageKey,
    size: job.size,
    mtime_ms: job.mtimeMs,
    sha256: job.sha256,
    extra: job.extra,
    model: job.model,
    dtype: job.dtype,
    collection: job.collection,
    enqueued_at: enqueuedAt,
  };
}

export function fromWire(wire: JobWire): ImageJob {
  if (wire.v !== 1) {
    throw new Error(`job format v${String(wire.v)} is not understood by this worker; upgrade idx`);
  }

  return {
    productId: wire.product_id,
    name: wire.name,
    category: wire.category,
    imagePath: wire.image_path,
    imageKey: wire.image_key,
    size: wire.size,
    mtimeMs: wire.mtime_ms,
    sha256: wire.sha256,
    extra: wire.extra ?? {},
    model: wire.model,
    dtype: wire.dtype,
    collection: wire.collection,
  };
}
