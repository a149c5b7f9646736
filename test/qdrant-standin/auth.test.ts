/**
 * API keys in the stand-in: 401 in plain text, 403 for a read-only key that writes, and the
 * root and health endpoints open to everyone.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { startQdrantStandin, type QdrantStandin } from '../support/qdrant-standin/server.js';
import { connectClient, rawRequest } from '../support/qdrant-standin/testing.js';

const API_KEY = 'manage-key';
const READ_ONLY_KEY = 'read-key';

let standin: QdrantStandin;

beforeAll(async () => {
  standin = await startQdrantStandin({ apiKey: API_KEY, readOnlyApiKey: READ_ONLY_KEY });
  await rawRequest(
    standin,
    'PUT',
    '/collections/secured',
    { vectors: { size: 2, distance: 'Cosine' } },
    { 'api-key': API_KEY },
  );
});

afterAll(async () => {
  await standin.close();
});

describe('401 from the auth middleware', () => {
  it('asks for a key in plain text with no Content-Type', async () => {
    const answer = await rawRequest(standin, 'GET', '/collections');

    expect(answer.status).toBe(401);
    expect(answer.text).toBe('Must provide an API key or an Authorization bearer token');
    expect(answer.headers.get('content-type')).toBeNull();
  });

  it('refuses a wrong key in plain text, even on an unknown route', async () => {
    const wrong = await rawRequest(standin, 'GET', '/collections', undefined, { 'api-key': 'x' });
    const unknown = await rawRequest(standin, 'GET', '/no/such/route');

    expect(wrong.status).toBe(401);
    expect(wrong.text).toBe('Invalid API key or JWT');
    expect(wrong.headers.get('content-type')).toBeNull();
    expect(unknown.status).toBe(401);
  });

  it('accepts the key as a bearer token too', async () => {
    const answer = await rawRequest(standin, 'GET', '/collections', undefined, {
      authorization: `Bearer ${API_KEY}`,
    });

    expect(answer.status).toBe(200);
  });

  it('surfaces through the js client as err.data holding the raw text', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const client = await connectClient(standin, { apiKey: 'wrong' });
    warn.mockRestore();

    const err = (await client.getCollections().catch((caught: unknown) => caught)) as {
      status: number;
      data: unknown;
    };

    expect(err.status).toBe(401);
    expect(err.data).toBe('Invalid API key or JWT');
  });
});

describe('open endpoints', () => {
  it('serves the root and health probes without a key', async () => {
    for (const path of ['/', '/healthz', '/livez', '/readyz']) {
      const answer = await rawRequest(standin, 'GET', path);
      expect(answer.status, path).toBe(200);
    }
  });
});

describe('403 for a read-only key', () => {
  it('lets the read-only key read', async () => {
    const headers = { 'api-key': READ_ONLY_KEY };

    const list = await rawRequest(standin, 'GET', '/collections', undefined, headers);
    const count = await rawRequest(
      standin,
      'POST',
      '/collections/secured/points/count',
      {},
      headers,
    );

    expect(list.status).toBe(200);
    expect(count.status).toBe(200);
  });

  it('refuses writes with the enveloped manage-access error', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const client = await connectClient(standin, { apiKey: READ_ONLY_KEY });
    warn.mockRestore();

    const calls = [
      () => client.createCollection('more', { vectors: { size: 2, distance: 'Cosine' } }),
      () => client.upsert('secured', { points: [{ id: 1, vector: [1, 0] }] }),
      () => client.delete('secured', { points: [1] }),
      () => client.createPayloadIndex('secured', { field_name: 'sku', field_schema: 'keyword' }),
      () => client.deleteCollection('secured'),
    ];

    for (const call of calls) {
      const err = (await call().catch((caught: unknown) => caught)) as {
        status: number;
        data: { status: { error: string } };
      };
      expect(err.status).toBe(403);
      expect(err.data.status.error).toBe('Forbidden: Global manage access is required');
    }

    expect(standin.pointCount('secured')).toBe(0);
  });
});
