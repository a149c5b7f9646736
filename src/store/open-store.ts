import type { IdxConfig } from '../config/config.js';
import { SqliteStore } from './sqlite-store.js';
import type { VectorStore } from './vector-store.js';

/**
 * The store the configuration asks for: Qdrant when a URL is set, otherwise the embedded
 * SQLite store under the data folder, so the main job runs with no server at all.
 */
export async function openStore(config: IdxConfig): Promise<VectorStore> {
  if (config.qdrantUrl) {
    const { QdrantStore } = await import('./qdrant-store.js');
    return new QdrantStore({
      url: config.qdrantUrl,
      apiKey: config.qdrantApiKey,
      timeoutMs: config.qdrantTimeoutMs,
    });
  }
  return new SqliteStore(config.dataDir);
}
