import fs from 'node:fs';
import path from 'node:path';

import type { IdxConfig } from '../config/config.js';
import { ConfigError } from '../core/errors.js';
import { SQLITE_FILE, SqliteStore } from './sqlite-store.js';
import type { VectorStore } from './vector-store.js';

/**
 * The store the configuration asks for: Qdrant when a URL is set, otherwise the embedded
 * SQLite store under the data folder, so the main job runs with no server at all.
 */
export async function openStore(
  config: IdxConfig,
  opts: { mustExist?: boolean } = {},
): Promise<VectorStore> {
  if (config.qdrantUrl) {
    const { QdrantStore } = await import('./qdrant-store.js');
    return new QdrantStore({
      url: config.qdrantUrl,
      apiKey: config.qdrantApiKey,
      timeoutMs: config.qdrantTimeoutMs,
    });
  }
  // Reading commands must not create an empty store in a mistyped folder.
  const file = path.join(config.dataDir, SQLITE_FILE);
  if (opts.mustExist && !fs.existsSync(file)) {
    throw new ConfigError(
      `No embedded store at ${file}: index images first (idx enqueue), or pass the --data-dir ` +
        'they were indexed into (or --qdrant-url).',
    );
  }
  return new SqliteStore(config.dataDir);
}
