/**
 * Collections, the root version document and the health probes of the stand-in.
 */
import type { QdrantClient } from '@qdrant/js-client-rest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { startQdrantStandin, type QdrantStandin } from '../support/qdrant-standin/server.js';
import { connectClient, rawRequest } from '../support/qdrant-standin/testing.js';

interface ApiErrorLike {
  status: number;
  data: { status: { error: string } };
}

let standin: QdrantStandin;
let client: QdrantClient;

beforeAll(async () => {
  standin = await startQdrantStandin();
  client = await connectClient(standin);
});

afterAll(async () => {
  await standin.close();
});

async function refusal(call: Promise<unknown>): Promise<ApiErrorLike> {
  return (await call.then(
    () => {
      throw new Error('the call should have been refused');
    },
    (err: unknown) => err,
  )) as ApiErrorLike;
}

describe('root and health', () => {
  it('answers GET / with the bare version document', async () => {
    const answer = await rawRequest(standin, 'GET', '/');

    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      title: 'qdrant - vector search engine',
      version: '1.17.0',
      commit: '4ab6d2ee0f6c718667e553b1055f3e944fef025f',
    });
  });

  it('answers the health probes in plain text', async () => {
    const expected: Record<string, string> = {
      '/healthz': 'healthz check passed',
      '/livez': 'healthz check passed',
      '/readyz': 'all shards are ready',
    };

    for (const [path, text] of Object.entries(expected)) {
      const answer = await rawRequest(standin, 'GET', path);
      expect(answer.status).toBe(200);
      expect(answer.text).toBe(text);
      expect(answer.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    }
  });

  it('makes the js client warn when told to report an incompatible version', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const old = await startQdrantStandin({ version: '1.15.2' });

    try {
      await connectClient(old);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('incompatible with server'));
    } finally {
      warn.mockRestore();
      await old.close();
    }
  });
});

describe('collections', () => {
  it('creates, lists, describes and deletes a collection', async () => {
    expect(
      await client.createCollection('catalog', {
        vectors: { size: 4, distance: 'Cosine' },
      }),
    ).toBe(true);

    expect(await client.getCollections()).toEqual({ collections: [{ name: 'catalog' }] });

    const info = await client.getCollection('catalog');
    expect(info).toMatchObject({
      status: 'green',
      optimizer_status: 'ok',
      points_count: 0,
      config: {
        params: {
          vectors: { size: 4, distance: 'Cosine' },
          shard_number: 1,
          on_disk_payload: true,
        },
        hnsw_config: { m: 16, ef_construct: 100 },
      },
      payload_schema: {},
    });

    expect(await client.deleteCollection('catalog')).toBe(true);
    expect(await client.deleteCollection('catalog')).toBe(false);
  });

  it('refuses to create a collection twice with a 409', async () => {
    await client.createCollection('twice', { vectors: { size: 4, distance: 'Dot' } });

    const err = await refusal(
      client.createCollection('twice', { vectors: { size: 4, distance: 'Dot' } }),
    );

    expect(err.status).toBe(409);
    expect(err.data.status.error).toBe('Wrong input: Collection `twice` already exists!');
  });

  it('answers 404 with the collection name for every call on a missing collection', async () => {
    const message = "Not found: Collection `ghost` doesn't exist!";
    const calls = [
      () => client.getCollection('ghost'),
      () => client.upsert('ghost', { points: [{ id: 1, vector: [1, 0, 0, 0] }] }),
      () => client.search('ghost', { vector: [1, 0, 0, 0] }),
      () => client.query('ghost', { query: [1, 0, 0, 0] }),
      () => client.count('ghost'),
      () => client.scroll('ghost'),
      () => client.retrieve('ghost', { ids: [1] }),
      () => client.delete('ghost', { points: [1] }),
      () => client.createPayloadIndex('ghost', { field_name: 'sku', field_schema: 'keyword' }),
    ];

    for (const call of calls) {
      const err = await refusal(call());
      expect(err.status).toBe(404);
      expect(err.data.status.error).toBe(message);
    }
  });

  it('reports existence as an object, for present and missing collections alike', async () => {
    await client.createCollection('present', { vectors: { size: 2, distance: 'Euclid' } });

    expect(await client.collectionExists('present')).toEqual({ exists: true });
    expect(await client.collectionExists('absent')).toEqual({ exists: false });
  });

  it('accepts named vectors and searches one of them', async () => {
    await client.createCollection('named', {
      vectors: { image: { size: 2, distance: 'Cosine' }, text: { size: 3, distance: 'Dot' } },
    });
    await client.upsert('named', {
      points: [
        { id: 1, vector: { image: [1, 0], text: [1, 1, 1] } },
        { id: 2, vector: { image: [0, 1] } },
      ],
    });

    const results = await client.search('named', {
      vector: { name: 'image', vector: [0.9, 0.1] },
      limit: 2,
    });
    const byText = await client.query('named', { query: [1, 0, 0], using: 'text' });

    expect(results.map((result) => result.id)).toEqual([1, 2]);
    expect(byText.points.map((point) => point.id)).toEqual([1]);

    const err = await refusal(client.query('named', { query: [1, 0], using: 'audio' }));
    expect(err.data.status.error).toBe('Wrong input: Not existing vector name error: audio');
  });
});

describe('payload indexes', () => {
  it('refuses an index without field_schema', async () => {
    await client.createCollection('indexed', { vectors: { size: 2, distance: 'Cosine' } });

    const answer = await rawRequest(standin, 'PUT', '/collections/indexed/index', {
      field_name: 'sku',
    });

    expect(answer.status).toBe(400);
    expect((answer.json as ApiErrorLike['data']).status.error).toBe(
      "Bad request: Can't auto-detect field type, please specify `field_schema` in the request",
    );
  });

  it('lists created indexes in payload_schema with the points that carry the field', async () => {
    await client.upsert('indexed', {
      points: [
        { id: 1, vector: [1, 0], payload: { sku: 'A', price: 3 } },
        { id: 2, vector: [0, 1], payload: { price: 4 } },
      ],
    });

    await client.createPayloadIndex('indexed', { field_name: 'sku', field_schema: 'keyword' });
    await client.createPayloadIndex('indexed', {
      field_name: 'price',
      field_schema: { type: 'integer', range: true, lookup: false },
      wait: true,
    });

    const info = await client.getCollection('indexed');
    expect(info.payload_schema).toEqual({
      sku: { data_type: 'keyword', points: 1 },
      price: {
        data_type: 'integer',
        params: { type: 'integer', range: true, lookup: false },
        points: 2,
      },
    });
  });
});
