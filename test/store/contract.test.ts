/**
 * One contract, two stores: the embedded SQLite store and Qdrant (through the stand-in
 * that validates every request against Qdrant's OpenAPI document). The same tests run
 * unchanged against both.
 */
import fs from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { StoredPoint } from '../../src/core/types.js';
import { QdrantStore } from '../../src/store/qdrant-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { VectorStore } from '../../src/store/vector-store.js';
import { type QdrantStandin, startQdrantStandin } from '../support/qdrant-standin/server.js';
import { makePoint } from '../support/points.js';
import { makeTempDir } from '../support/temp-dirs.js';

let standin: QdrantStandin;

beforeAll(async () => {
  standin = await startQdrantStandin();
});

afterAll(async () => {
  await standin.close();
});

const stores: [string, () => VectorStore][] = [
  ['sqlite', () => new SqliteStore(makeTempDir('idx-contract-'))],
  ['qdrant', () => new QdrantStore({ url: standin.url })],
];

let collectionCount = 0;
const fresh = () => `contract-${++collectionCount}`;
const spec = (name: string) => ({ name, dimension: 16, model: 'tiny' });

describe.each(stores)('VectorStore contract: %s', (_backend, open) => {
  it('inserts points and reads them back unchanged', async () => {
    const store = open();
    const name = fresh();
    await store.ensureCollection(spec(name));
    const points = ['a', 'b', 'c'].map((key) => makePoint(key, 16));

    await store.upsertPoints(name, points);

    expect(await store.countPoints(name)).toBe(3);
    const [read] = await store.getPoints(name, [points[1].id]);
    expect(read.payload).toEqual(points[1].payload);
    expect(Array.from(read.vector)).toEqual(
      Array.from(points[1].vector).map((v) => expect.closeTo(v, 6)),
    );
    await store.close();
  });

  it('overwrites a point by id with the latest values', async () => {
    const store = open();
    const name = fresh();
    await store.ensureCollection(spec(name));

    await store.upsertPoints(name, [makePoint('a', 16, { name: 'first', sha256: '1'.repeat(64) })]);
    await store.upsertPoints(name, [
      makePoint('a', 16, { name: 'second', sha256: '2'.repeat(64) }),
    ]);

    expect(await store.countPoints(name)).toBe(1);
    const digests = await store.getDigests(name, [
      makePoint('a', 16).id,
      'f7a3c7c0-0000-5000-8000-000000000000',
    ]);
    expect([...digests.values()]).toEqual([
      { id: makePoint('a', 16).id, sha256: '2'.repeat(64), model: 'tiny' },
    ]);
    expect((await store.getPoints(name, [makePoint('a', 16).id]))[0].payload.name).toBe('second');
    await store.close();
  });

  it('is idempotent: the same batch twice leaves the same count', async () => {
    const store = open();
    const name = fresh();
    await store.ensureCollection(spec(name));
    const points = Array.from({ length: 40 }, (_, i) => makePoint(`p${i}`, 16));

    await store.upsertPoints(name, points);
    await store.ensureCollection(spec(name));
    await store.upsertPoints(name, points);

    expect(await store.countPoints(name)).toBe(40);
    await store.close();
  });

  it('deletes points and collections', async () => {
    const store = open();
    const name = fresh();
    await store.ensureCollection(spec(name));
    const points = ['a', 'b'].map((key) => makePoint(key, 16));
    await store.upsertPoints(name, points);

    await store.deletePoints(name, [points[0].id]);
    expect(await store.countPoints(name)).toBe(1);

    expect(await store.deleteCollection(name)).toBe(true);
    expect(await store.describeCollection(name)).toBeNull();
    expect(await store.deleteCollection(name)).toBe(false);
    await store.close();
  });

  it('refuses a collection of another dimension, naming both and the way out', async () => {
    const store = open();
    const name = fresh();
    await store.ensureCollection({ name, dimension: 8, model: 'tiny' });

    await expect(store.ensureCollection(spec(name))).rejects.toThrow(
      /8-dimensional Cosine vectors, but model tiny makes 16-dimensional.*--collection.*--recreate/,
    );

    await store.ensureCollection(spec(name), { recreate: true });
    expect((await store.describeCollection(name))?.dimension).toBe(16);
    await store.close();
  });

  it('filters search by category', async () => {
    const store = open();
    const name = fresh();
    await store.ensureCollection(spec(name));
    await store.upsertPoints(name, [
      makePoint('shoe-1', 16, { category: 'shoes' }),
      makePoint('shoe-2', 16, { category: 'shoes' }),
      makePoint('hat-1', 16, { category: 'hats' }),
    ]);

    const hits = await store.search(name, makePoint('hat-1', 16).vector, {
      limit: 10,
      category: 'shoes',
    });

    expect(hits.map((hit) => hit.payload.productId).sort()).toEqual(['shoe-1', 'shoe-2']);
    await store.close();
  });

  it('maps awkward product ids to valid ids and keeps the originals in the payload', async () => {
    const store = open();
    const name = fresh();
    await store.ensureCollection(spec(name));
    const awkward = [
      'SKU-000123',
      'SKU 000 017',
      'it\'s "quoted"',
      'a/b/c',
      '商品-👟',
      'x'.repeat(600),
    ];

    await store.upsertPoints(
      name,
      awkward.map((key) => makePoint(key, 16)),
    );

    const read = await store.getPoints(
      name,
      awkward.map((key) => makePoint(key, 16).id),
    );
    expect(read.map((point) => point.payload.productId).sort()).toEqual([...awkward].sort());
    await store.close();
  });
});

describe('search parity between the stores on real photos', () => {
  it('returns the same order and scores within 1e-5', async () => {
    const { loadEmbedder } = await import('../../src/embed/load-embedder.js');
    const { preprocessImage } = await import('../../src/images/preprocess.js');
    const { TINY_CLIP, PRODUCTS } = await import('../support/cli.js');
    const embedder = await loadEmbedder({ model: TINY_CLIP });

    const files = ['bags', 'shoes', 'fruit'].flatMap((folder) =>
      fs
        .readdirSync(path.join(PRODUCTS, folder))
        .slice(0, 10)
        .map((file) => path.join(PRODUCTS, folder, file)),
    );
    const points: StoredPoint[] = [];
    for (const file of files) {
      const { pixels } = await preprocessImage(file, embedder.preprocess);
      const [vector] = await embedder.embedImages([pixels]);
      const key = path.relative(PRODUCTS, file);
      points.push({ ...makePoint(key, 512, { category: key.split('/')[0] }), vector });
    }
    await embedder.close();

    const results = [];
    for (const [, open] of stores) {
      const store = open();
      await store.ensureCollection({ name: 'parity', dimension: 512, model: 'tiny' });
      await store.upsertPoints('parity', points);
      results.push(
        await Promise.all(
          points.slice(0, 5).map((p) => store.search('parity', p.vector, { limit: 10 })),
        ),
      );
      await store.close();
    }

    const [sqlite, qdrant] = results;
    sqlite.forEach((hits, query) => {
      expect(hits[0].id).toBe(points[query].id);
      expect(qdrant[query].map((hit) => hit.id)).toEqual(hits.map((hit) => hit.id));
      hits.forEach((hit, rank) =>
        expect(Math.abs(hit.score - qdrant[query][rank].score)).toBeLessThan(1e-5),
      );
    });
  });
});
