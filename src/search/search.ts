import type { IdxConfig } from '../config/config.js';
import { ConfigError, errorMessage } from '../core/errors.js';
import type { SearchHit } from '../core/types.js';
import { loadEmbedder } from '../embed/load-embedder.js';
import { readImageFile } from '../images/file-facts.js';
import { preprocessImage } from '../images/preprocess.js';
import { openStore } from '../store/open-store.js';
import type { VectorStore } from '../store/vector-store.js';

export interface SearchRequest {
  /** Find products that look like this image file. */
  image?: string;
  /** Find products matching this description (CLIP's text tower). */
  text?: string;
  /** Hits to return. Default 10. */
  limit?: number;
  category?: string;
  /** List every matching image instead of each product's best one. */
  allImages?: boolean;
}

/** One result line. */
export interface ProductHit {
  rank: number;
  score: number;
  productId: string;
  name: string;
  category: string;
  imagePath: string;
  pointId: string;
}

export interface SearchResult {
  query: { image?: string; text?: string; category?: string };
  collection: string;
  model: string;
  hits: ProductHit[];
}

/**
 * Embeds the query with the model the collection was built with and returns the nearest
 * products. By default each product appears once, with its best-matching image.
 */
export async function searchProducts(
  config: IdxConfig,
  request: SearchRequest,
): Promise<SearchResult> {
  if ((request.image === undefined) === (request.text === undefined)) {
    throw new ConfigError('Give exactly one of --image <file> or --text "<query>".');
  }
  if (request.text !== undefined && request.text.trim() === '') {
    throw new ConfigError('--text is empty: describe what to look for, e.g. --text "red shoes".');
  }

  const store = await openStore(config, { mustExist: true });
  try {
    const info = await store.describeCollection(config.collection);
    if (!info) {
      throw new ConfigError(
        `Collection "${config.collection}" does not exist in ${store.location}: ` +
          'index some images first (idx enqueue), or pass --collection.',
      );
    }

    const model = info.model ?? config.model;
    const vector = await embedQuery(request, { ...config, model });
    const limit = request.limit ?? 10;
    const hits = request.allImages
      ? await store.search(config.collection, vector, { limit, category: request.category })
      : await bestPerProduct(
          store,
          config.collection,
          vector,
          limit,
          request.category,
          info.points,
        );

    return {
      query: { image: request.image, text: request.text, category: request.category },
      collection: config.collection,
      model,
      hits: hits.map(toProductHit),
    };
  } finally {
    await store.close();
  }
}

async function embedQuery(request: SearchRequest, config: IdxConfig): Promise<Float32Array> {
  const embedder = await loadEmbedder({
    model: config.model,
    dtype: config.dtype,
    threads: config.threads,
    allowDownload: config.allowDownload,
    cacheDir: config.modelCacheDir,
  });

  try {
    if (request.text !== undefined) {
      return (await embedder.embedTexts([request.text]))[0];
    }
    const bytes = await readImageFile(request.image!).catch((err: unknown) => {
      throw new ConfigError(`Cannot read --image ${request.image}: ${errorMessage(err)}.`);
    });
    const { pixels } = await preprocessImage(bytes, embedder.preprocess);
    return (await embedder.embedImages([pixels]))[0];
  } finally {
    await embedder.close();
  }
}

// Products with many images would crowd out others, so fetch more hits than asked for
// and keep each product's best, widening the search until enough products are found.
async function bestPerProduct(
  store: VectorStore,
  collection: string,
  vector: Float32Array,
  limit: number,
  category: string | undefined,
  total: number,
): Promise<SearchHit[]> {
  for (let fetch = Math.max(limit * 4, 40); ; fetch *= 4) {
    const hits = await store.search(collection, vector, { limit: fetch, category });
    const best = new Map<string, SearchHit>();
    for (const hit of hits) {
      if (!best.has(hit.payload.productId)) {
        best.set(hit.payload.productId, hit);
      }
    }

    if (best.size >= limit || hits.length < fetch || fetch >= total) {
      return [...best.values()].slice(0, limit);
    }
  }
}

function toProductHit(hit: SearchHit, index: number): ProductHit {
  return {
    rank: index + 1,
    score: Math.round(hit.score * 1e6) / 1e6,
    productId: hit.payload.productId,
    name: hit.payload.name,
    category: hit.payload.category,
    imagePath: hit.payload.imagePath,
    pointId: hit.id,
  };
}
