import path from 'node:path';

import { DEFAULT_MODEL } from '../config/config.js';
import { maskUrl } from '../util/mask.js';
import type { DiagnoseSettings } from './settings.js';

/**
 * The commands a fix suggests, written with the user's own settings so they can be run as
 * they are. Passwords are masked (`***`) and an API key is never written out: the key
 * flag refers to `$QDRANT_API_KEY` instead.
 */
export class FixCommands {
  constructor(private readonly settings: DiagnoseSettings) {}

  /** Flags that pick the same Redis and queue. */
  redisFlags(): string[] {
    const { config } = this.settings;
    const flags: string[] = [];
    if (config.redisUrl !== 'redis://127.0.0.1:6379') {
      flags.push('--redis-url', quote(maskUrl(config.redisUrl)));
    }
    if (config.queue !== 'idx') {
      flags.push('--queue', quote(config.queue));
    }
    return flags;
  }

  /** Flags that pick the same store and collection. */
  storeFlags(): string[] {
    const { config } = this.settings;
    const flags: string[] = [];
    if (config.qdrantUrl) {
      flags.push('--qdrant-url', quote(maskUrl(config.qdrantUrl)));
      if (config.qdrantApiKey) {
        flags.push('--qdrant-api-key', '"$QDRANT_API_KEY"');
      }
    } else if (config.dataDir !== path.resolve('.idx')) {
      flags.push('--data-dir', quote(config.dataDir));
    }
    if (config.collection !== 'products') {
      flags.push('--collection', quote(config.collection));
    }
    return flags;
  }

  modelFlags(): string[] {
    const { config } = this.settings;
    const flags: string[] = [];
    if (config.model !== DEFAULT_MODEL) {
      flags.push('--model', quote(config.model));
    }
    if (config.dtype !== 'fp32') {
      flags.push('--dtype', config.dtype);
    }
    return flags;
  }

  /** `idx work` for this queue, store and model. */
  work(workerId = 'w1'): string {
    return join([
      'idx',
      'work',
      '--worker-id',
      workerId,
      ...this.redisFlags(),
      ...this.storeFlags(),
      ...this.modelFlags(),
    ]);
  }

  /** `idx diagnose` again with the same settings; flags in `extra` replace the same ones. */
  diagnose(extra: string[] = []): string {
    const own = withoutFlags(
      [...this.redisFlags(), ...this.storeFlags(), ...this.modelFlags()],
      extra,
    );
    return join(['idx', 'diagnose', ...own, ...extra]);
  }

  /** `idx enqueue` of some images with the same settings; `extra` replaces flags. */
  enqueue(paths: string, extra: string[] = []): string {
    const own = withoutFlags(
      [...this.redisFlags(), ...this.storeFlags(), ...this.modelFlags()],
      extra,
    );
    return join(['idx', 'enqueue', paths, ...own, ...extra]);
  }

  /** `redis-cli` against the configured Redis, asking for the password when there is one. */
  redisCli(args: string[]): string {
    let host = '127.0.0.1';
    let port = '6379';
    let auth: string[] = [];
    try {
      const url = new URL(this.settings.config.redisUrl);
      host = url.hostname.replace(/^\[(.*)\]$/, '$1') || host;
      port = url.port || port;
      auth = url.password ? ['--askpass'] : [];
      if (url.protocol === 'rediss:') {
        auth.push('--tls');
      }
    } catch {
      // resolveConfig has already rejected URLs that do not parse.
    }
    return join(['redis-cli', '-h', host, '-p', port, ...auth, ...args]);
  }

  /** A line that warns the reader to put the real password where `***` stands. */
  passwordNote(): string[] {
    const { config } = this.settings;
    const masked = [config.redisUrl, config.qdrantUrl].some((url) => url && maskUrl(url) !== url);
    return masked ? ['# put the real password where *** stands'] : [];
  }
}

/** Quotes a word for a POSIX shell when it needs it. */
export function quote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

// Every flag idx writes here takes a value, so a flag and the word after it go together.
function withoutFlags(flags: string[], extra: string[]): string[] {
  const replaced = new Set(extra.filter((word) => word.startsWith('--')));
  const kept: string[] = [];
  for (let i = 0; i < flags.length; i += 2) {
    if (!replaced.has(flags[i])) {
      kept.push(flags[i], flags[i + 1]);
    }
  }
  return kept;
}

function join(words: string[]): string {
  return words.join(' ');
}
