import type { Dtype, Logger } from '../core/types.js';
import type { Embedder } from '../embed/embedder.js';
import { loadEmbedder } from '../embed/load-embedder.js';
import { loadThreadedEmbedder } from '../embed/threaded-embedder.js';

export interface EmbedderPoolOptions {
  /** Run each model on its own thread (see ThreadedEmbedder). Default false. */
  threaded?: boolean;
  threads?: number;
  allowDownload?: boolean;
  cacheDir?: string;
  logger?: Logger;
}

/**
 * Loads each (model, dtype) once per process and shares it. Jobs name their model, so a
 * worker embeds every job with the model it was queued for.
 */
export class EmbedderPool {
  private readonly loading = new Map<string, Promise<Embedder>>();

  constructor(private readonly opts: EmbedderPoolOptions = {}) {}

  get(model: string, dtype: Dtype): Promise<Embedder> {
    const key = `${model}\u0000${dtype}`;
    let embedder = this.loading.get(key);

    if (!embedder) {
      const { threaded, ...opts } = this.opts;
      const load = threaded ? loadThreadedEmbedder : loadEmbedder;
      embedder = load({ model, dtype, ...opts });
      // A failed load is not cached: the model folder may appear later.
      embedder.catch(() => this.loading.delete(key));
      this.loading.set(key, embedder);
    }
    return embedder;
  }

  async close(): Promise<void> {
    const loaded = await Promise.allSettled(this.loading.values());
    this.loading.clear();
    for (const result of loaded) {
      if (result.status === 'fulfilled') {
        await result.value.close();
      }
    }
  }
}
