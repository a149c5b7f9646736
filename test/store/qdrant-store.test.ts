/**
 * How the Qdrant adapter meets Qdrant's answers: which faults it retries, which it
 * reports, and that requests stay within Qdrant's limits. Run against the stand-in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ConfigError, PermanentError, TransientError } from '../../src/core/errors.js';
import { QdrantStore } from '../../src/store/qdrant-store.js';
import { type QdrantStandin, startQdrantStandin } from '../support/qdrant-standin/server.js';
import { makePoint } from '../support/points.js';

let standin: QdrantStandin;

beforeAll(async () => {
  standin = await startQdrantStandin({ apiKey: 'write-key-1234', readOnlyApiKey: 'read-key-5678' });
});

afterAll(async () => {
  await standin.close();
});

const spec = { name: 'adapter', dimension: 8, model: 'tiny' };
const writer = (opts = {}) =>
  new QdrantStore({ url: standin.url, apiKey: 'write-key-1234', ...opts });

describe('QdrantStore', () => {
  it('fails a rejected write with Qdrant’s own message, without retrying', async () => {
    const store = writer();
    await store.ensureCollection(spec);
    const before = standin.requests.length;
    const wrong = { ...makePoint('a', 8), vector: new Float32Array(4).fill(0.5) };

    const error = await store.upsertPoints('adapter', [wrong]).catch((err: unknown) => err);

    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).message).toBe(
      'Qdrant refused the request (400): Wrong input: Vector dimension error: expected dim: 8, got 4',
    );
    expect(standin.requests.slice(before).filter((r) => r.method === 'PUT')).toHaveLength(1);
  });

  it('says which: a wrong key and a read-only key', async () => {
    const wrongKey = new QdrantStore({ url: standin.url, apiKey: 'nope-0000' });
    await expect(wrongKey.countPoints('adapter')).rejects.toThrow(ConfigError);
    await expect(wrongKey.countPoints('adapter')).rejects.toThrow(/rejected the API key \(401/);

    const readOnly = new QdrantStore({ url: standin.url, apiKey: 'read-key-5678' });
    expect(await readOnly.countPoints('adapter')).toBe(0);
    await expect(readOnly.upsertPoints('adapter', [makePoint('a', 8)])).rejects.toThrow(
      /refused a write \(403: Forbidden: Global manage access is required\): the API key is read-only/,
    );
  });

  it('retries 503s and honours a 429’s Retry-After, then succeeds', async () => {
    const store = writer();
    await store.ensureCollection(spec);
    standin.failNext(2, { status: 503, path: /\/points$/ });
    standin.failNext(1, { status: 429, retryAfterSeconds: 1, path: /\/points$/ });

    const started = Date.now();
    await store.upsertPoints('adapter', [makePoint('b', 8)]);

    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(await store.countPoints('adapter')).toBeGreaterThanOrEqual(1);
  });

  it('gives up on a slow server after its own timeout, as a transient fault', async () => {
    const store = writer({ timeoutMs: 300, attempts: 2 });
    standin.setDelay(2000);
    try {
      const started = Date.now();
      const error = await store.countPoints('adapter').catch((err: unknown) => err);

      expect(error).toBeInstanceOf(TransientError);
      expect((error as Error).message).toMatch(/did not answer within 0.3 s/);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      standin.setDelay(0);
    }
  });

  it('splits a large batch into requests of at most maxPointsPerRequest points', async () => {
    const store = writer({ maxPointsPerRequest: 64 });
    await store.ensureCollection({ ...spec, name: 'big' });
    const before = standin.requests.length;

    await store.upsertPoints(
      'big',
      Array.from({ length: 300 }, (_, i) => makePoint(`p${i}`, 8)),
    );

    const upserts = standin.requests.slice(before).filter((r) => r.method === 'PUT');
    expect(upserts.map((r) => r.query.wait)).toEqual(['true', 'true', 'true', 'true', 'true']);
    expect(await store.countPoints('big')).toBe(300);
  });

  it('keeps a path prefix and an explicit port from the URL', async () => {
    const store = new QdrantStore({ url: `${standin.url}/`, apiKey: 'write-key-1234' });
    expect(await store.countPoints('big')).toBe(300);
    expect(store.location).toBe(`${standin.url}/`);
  });
});
