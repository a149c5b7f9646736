import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { DEFAULT_MODEL, resolveConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/core/errors.js';

describe('resolveConfig', () => {
  it('uses the defaults when nothing is given', () => {
    const config = resolveConfig({}, {});

    expect(config).toMatchObject({
      redisUrl: 'redis://127.0.0.1:6379',
      redisTimeoutMs: 2000,
      queue: 'idx',
      qdrantUrl: undefined,
      qdrantTimeoutMs: 10_000,
      dataDir: path.resolve('.idx'),
      collection: 'products',
      model: DEFAULT_MODEL,
      dtype: 'fp32',
      threads: undefined,
      allowDownload: false,
      batchSize: 8,
      concurrency: 2,
    });
  });

  it('takes a flag over the environment, and the environment over the default', () => {
    const env = { REDIS_URL: 'redis://env:6379', IDX_BATCH_SIZE: '16', IDX_ALLOW_DOWNLOAD: 'yes' };

    const config = resolveConfig({ redisUrl: 'redis://flag:6379' }, env);

    expect(config.redisUrl).toBe('redis://flag:6379');
    expect(config.batchSize).toBe(16);
    expect(config.allowDownload).toBe(true);
  });

  it('reads Qdrant settings from QDRANT_URL and QDRANT_API_KEY', () => {
    const config = resolveConfig({}, { QDRANT_URL: 'https://q.example:6333', QDRANT_API_KEY: 'k' });
    expect(config).toMatchObject({ qdrantUrl: 'https://q.example:6333', qdrantApiKey: 'k' });
  });

  it.each([
    [
      { batchSize: '0' },
      /--batch-size \/ IDX_BATCH_SIZE must be a whole number from 1 to 256, not "0"/,
    ],
    [{ dtype: 'fp16' }, /--dtype must be fp32 or q8, not "fp16"/],
    [
      { redisUrl: 'http://x:6379' },
      /--redis-url \/ REDIS_URL must start with redis:\/\/ or rediss:\/\//,
    ],
    [{ redisUrl: 'not a url' }, /--redis-url \/ REDIS_URL is not a URL/],
    [
      { qdrantUrl: 'redis://x' },
      /--qdrant-url \/ QDRANT_URL must start with http:\/\/ or https:\/\//,
    ],
    [{ redisTimeout: '-1' }, /--redis-timeout \(seconds\) must be a positive number/],
    [{ queue: 'a b' }, /--queue \/ IDX_QUEUE "a b" is not a valid name/],
    [{ threads: '2.5' }, /--threads \/ IDX_THREADS must be a whole number/],
  ])('refuses %o with a message that names the setting', (flags, message) => {
    expect(() => resolveConfig(flags, {})).toThrow(ConfigError);
    expect(() => resolveConfig(flags, {})).toThrow(message);
  });

  it('refuses an invalid value from the environment too, instead of falling back', () => {
    expect(() => resolveConfig({}, { IDX_CONCURRENCY: 'lots' })).toThrow(/IDX_CONCURRENCY/);
  });
});
