/**
 * Points in the stand-in: ids, upsert semantics, delete, count, scroll, and search and query
 * scored with a real cosine.
 */
import type { QdrantClient } from '@qdrant/js-client-rest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { startQdrantStandin, type QdrantStandin } from '../support/qdrant-standin/server.js';
import { connectClient, rawRequest } from '../support/qdrant-standin/testing.js';

const DIMENSIONS = 8;

let standin: QdrantStandin;
let client: QdrantClient;

beforeAll(async () => {
  standin = await startQdrantStandin();
  client = await connectClient(standin);
});

afterAll(async () => {
  await standin.close();
});

beforeEach(async () => {
  await client.deleteCollection('items');
  await client.createCollection('items', { vectors: { size: DIMENSIONS, distance: 'Cosine' } });
});

/** A deterministic pseudo-random vector, so failures reproduce. */
function vectorFor(seed: number): number[] {
  let state = seed * 7919 + 17;
  return Array.from({ length: DIMENSIONS }, () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648 - 0.5;
  });
}

/** Cosine similarity in double precision, as a reference for the stand-in's f32 scores. */
function cosine(left: number[], right: number[]): number {
  let dot = 0;
  let leftSquares = 0;
  let rightSquares = 0;

  for (let index = 0; index < left.length; index += 1) {
    dot += left[index] * right[index];
    leftSquares += left[index] ** 2;
    rightSquares += right[index] ** 2;
  }

  return dot / Math.sqrt(leftSquares * rightSquares);
}

async function seed(count: number, categories = ['shoes', 'hats', 'bags']) {
  const points = Array.from({ length: count }, (_, index) => ({
    id: index + 1,
    vector: vectorFor(index + 1),
    payload: { sku: `SKU-${index + 1}`, category: categories[index % categories.length] },
  }));

  await client.upsert('items', { points });
  return points;
}

describe('point ids', () => {
  it('takes all four UUID spellings as one id and prints it lowercase, hyphenated', async () => {
    const spellings = [
      '6BA7B810-9DAD-11D1-80B4-00C04FD430C8',
      '6ba7b8109dad11d180b400c04fd430c8',
      '{6ba7b810-9dad-11d1-80b4-00c04fd430c8}',
      'urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8',
    ];

    for (const [index, id] of spellings.entries()) {
      await client.upsert('items', {
        points: [{ id, vector: vectorFor(index), payload: { spelling: index } }],
      });
    }

    expect(standin.pointCount('items')).toBe(1);
    const [record] = await client.retrieve('items', { ids: [spellings[1]] });
    expect(record).toEqual({
      id: '6ba7b810-9dad-11d1-80b4-00c04fd430c8',
      payload: { spelling: 3 },
    });
  });

  it('sorts integer ids before UUIDs when scrolling', async () => {
    const uuid = '00000000-0000-0000-0000-000000000001';
    await client.upsert('items', {
      points: [
        { id: uuid, vector: vectorFor(1) },
        { id: 10, vector: vectorFor(2) },
        { id: 2, vector: vectorFor(3) },
      ],
    });

    const { points } = await client.scroll('items', { with_payload: false });
    expect(points.map((point) => point.id)).toEqual([2, 10, uuid]);
  });
});

describe('upsert', () => {
  it('upserting the same id twice keeps one point, with the second version', async () => {
    await client.upsert('items', { points: [{ id: 1, vector: vectorFor(1), payload: { v: 1 } }] });
    await client.upsert('items', { points: [{ id: 1, vector: vectorFor(2), payload: { v: 2 } }] });

    expect(standin.pointCount('items')).toBe(1);
    expect(await client.retrieve('items', { ids: [1] })).toEqual([{ id: 1, payload: { v: 2 } }]);
  });

  it('lets the last copy win when one request repeats an id (qdrant#9585)', async () => {
    await client.upsert('items', {
      points: [
        { id: 1, vector: vectorFor(1), payload: { copy: 'first' } },
        { id: 1, vector: vectorFor(2), payload: { copy: 'last' } },
      ],
    });

    const [record] = await client.retrieve('items', { ids: [1], with_vector: true });
    expect(record.payload).toEqual({ copy: 'last' });
    expect(cosine(record.vector as number[], vectorFor(2))).toBeCloseTo(1, 5);
  });

  it('clears the payload when an upsert sends none', async () => {
    await client.upsert('items', { points: [{ id: 1, vector: vectorFor(1), payload: { a: 1 } }] });
    await client.upsert('items', { points: [{ id: 1, vector: vectorFor(1) }] });

    expect(await client.retrieve('items', { ids: [1] })).toEqual([{ id: 1, payload: {} }]);
  });

  it('accepts the batch form', async () => {
    await client.upsert('items', {
      batch: {
        ids: [1, 2],
        vectors: [vectorFor(1), vectorFor(2)],
        payloads: [{ n: 1 }, null],
      },
    });

    const records = await client.retrieve('items', { ids: [2, 1] });
    expect(records).toEqual([
      { id: 2, payload: {} },
      { id: 1, payload: { n: 1 } },
    ]);
  });

  it('answers completed with wait=true and acknowledged without it', async () => {
    const waited = await client.upsert('items', { points: [{ id: 1, vector: vectorFor(1) }] });
    const unwaited = await client.upsert('items', {
      wait: false,
      points: [{ id: 2, vector: vectorFor(2) }],
    });

    expect(waited).toEqual({ operation_id: expect.any(Number), status: 'completed' });
    expect(unwaited).toEqual({ operation_id: expect.any(Number), status: 'acknowledged' });
    expect(unwaited.operation_id).toBeGreaterThan(waited.operation_id!);
  });

  it('stores cosine vectors normalised, as Qdrant does', async () => {
    await client.upsert('items', { points: [{ id: 1, vector: [3, 4, 0, 0, 0, 0, 0, 0] }] });

    const answer = await rawRequest(standin, 'GET', '/collections/items/points/1');
    expect((answer.json as { result: unknown }).result).toEqual({
      id: 1,
      payload: {},
      vector: [0.6, 0.8, 0, 0, 0, 0, 0, 0],
    });
  });
});

describe('retrieve, delete and count', () => {
  it('retrieves in request order, skipping missing ids and repeats', async () => {
    await seed(5);

    const records = await client.retrieve('items', { ids: [4, 99, 2, 4], with_payload: false });
    expect(records).toEqual([{ id: 4 }, { id: 2 }]);
  });

  it('deletes by id and by filter, and counts what is left', async () => {
    await seed(9);

    await client.delete('items', { wait: true, points: [1, 2] });
    expect(await client.count('items')).toEqual({ count: 7 });

    const hats = { must: [{ key: 'category', match: { value: 'hats' } }] };
    expect(await client.count('items', { filter: hats })).toEqual({ count: 2 });

    await client.delete('items', { wait: true, filter: hats });
    expect(await client.count('items')).toEqual({ count: 5 });
    expect(standin.pointCount('items')).toBe(5);
  });
});

describe('scroll', () => {
  it('pages with an inclusive offset and hands back the next page offset', async () => {
    await seed(25);

    const first = await client.scroll('items', { limit: 10 });
    const second = await client.scroll('items', { limit: 10, offset: first.next_page_offset });
    const third = await client.scroll('items', { limit: 10, offset: second.next_page_offset });

    expect(first.points.map((point) => point.id)).toEqual(range(1, 10));
    expect(first.next_page_offset).toBe(11);
    expect(second.points.map((point) => point.id)).toEqual(range(11, 20));
    expect(third.points.map((point) => point.id)).toEqual(range(21, 25));
    expect(third.next_page_offset).toBeNull();
  });

  it('returns payload by default and vectors only when asked', async () => {
    await seed(1);

    const plain = await rawRequest(standin, 'POST', '/collections/items/points/scroll', {});
    const result = (plain.json as { result: { points: unknown[] } }).result;

    expect(result.points).toEqual([{ id: 1, payload: { sku: 'SKU-1', category: 'shoes' } }]);
  });
});

describe('search and query', () => {
  it('orders by cosine, with scores equal to a brute-force cosine within 1e-5', async () => {
    const points = await seed(40);
    const query = vectorFor(1000);

    const results = await client.search('items', { vector: query, limit: 40 });
    const expected = points
      .map((point) => ({ id: point.id, score: cosine(point.vector, query) }))
      .sort((left, right) => right.score - left.score);

    expect(results.map((result) => result.id)).toEqual(expected.map((entry) => entry.id));
    results.forEach((result, index) => {
      expect(Math.abs(result.score - expected[index].score)).toBeLessThan(1e-5);
    });
  });

  it('applies a category filter and a strict score threshold', async () => {
    const points = await seed(30);
    const query = vectorFor(7);
    const filter = { must: [{ key: 'category', match: { value: 'bags' } }] };

    const bags = await client.search('items', { vector: query, limit: 100, filter });
    expect(bags).toHaveLength(10);
    expect(bags.every((result) => result.payload?.category === 'bags')).toBe(true);

    // A point scoring exactly at the threshold is dropped.
    const threshold = bags[3].score;
    const above = await client.search('items', {
      vector: query,
      limit: 100,
      filter,
      score_threshold: threshold,
    });
    expect(above.map((result) => result.id)).toEqual(bags.slice(0, 3).map((r) => r.id));
    expect(points).toHaveLength(30);
  });

  it('combines should, must_not, match.any and has_id', async () => {
    await seed(12);
    const query = vectorFor(3);

    const results = await client.search('items', {
      vector: query,
      limit: 100,
      with_payload: false,
      filter: {
        should: [{ key: 'category', match: { any: ['shoes', 'hats'] } }],
        must_not: [{ has_id: [1, 2] }],
      },
    });

    const ids = results.map((result) => Number(result.id)).sort((a, b) => a - b);
    expect(ids).toEqual([4, 5, 7, 8, 10, 11]);
  });

  it('returns ScoredPoint with a version, and query wraps results in points', async () => {
    await seed(12);
    const query = vectorFor(5);

    const searched = await client.search('items', { vector: query, limit: 3 });
    const queried = await client.query('items', { query, limit: 3 });
    const nearest = await client.query('items', { query: { nearest: query }, limit: 3 });

    expect(searched[0]).toEqual({
      id: expect.any(Number),
      version: expect.any(Number),
      score: expect.any(Number),
      payload: expect.any(Object),
    });
    // The query endpoint returns no payload unless asked.
    expect(queried.points.map(({ id, score }) => ({ id, score }))).toEqual(
      searched.map(({ id, score }) => ({ id, score })),
    );
    expect(queried.points[0].payload).toBeUndefined();
    expect(nearest).toEqual(queried);
  });

  it('defaults query to ten results', async () => {
    await seed(15);

    const { points } = await client.query('items', { query: vectorFor(1) });
    expect(points).toHaveLength(10);
  });

  it('refuses a query vector of the wrong length', async () => {
    await seed(1);

    const answer = await rawRequest(standin, 'POST', '/collections/items/points/query', {
      query: [1, 2, 3],
    });
    expect(answer.status).toBe(400);
    expect((answer.json as { status: { error: string } }).status.error).toBe(
      'Wrong input: Vector dimension error: expected dim: 8, got 3',
    );
  });

  it('answers 501 for query features it does not model, instead of guessing', async () => {
    await seed(1);

    const answer = await rawRequest(standin, 'POST', '/collections/items/points/query', {
      query: { fusion: 'rrf' },
    });
    expect(answer.status).toBe(501);
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}
