/**
 * The main job with Qdrant as the store (the stand-in, which validates every request
 * against Qdrant's OpenAPI document), `idx search` on both stores, and Qdrant faults.
 */
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  PRODUCTS,
  TINY_CLIP,
  runIdx,
  runIdxJson,
  startIdx,
  tempDir,
  waitFor,
} from '../support/cli.js';
import { type QdrantStandin, startQdrantStandin } from '../support/qdrant-standin/server.js';
import { type TestRedis, freePort, startTestRedis } from '../support/redis-server.js';

const MANIFEST = path.join(PRODUCTS, 'manifest.csv');
const SHOE = path.join(PRODUCTS, 'shoes/18ff3e0e-6676-4f26-8be4-a992217ac524.jpg');

interface Status {
  counts: Record<'waiting' | 'active' | 'succeeded' | 'failed' | 'delayed' | 'retried', number>;
  store: { backend: string; points: number; location: string };
  failures: { reason: string }[];
}

interface Search {
  hits: { rank: number; score: number; productId: string; name: string; imagePath: string }[];
}

let redis: TestRedis;
let qdrant: QdrantStandin;

beforeAll(async () => {
  redis = await startTestRedis();
  qdrant = await startQdrantStandin();
});

afterAll(async () => {
  await qdrant.close();
  await redis.stop();
});

function setup(queue: string, collection = queue) {
  const common = [
    '--redis-url',
    redis.url,
    '--queue',
    queue,
    '--qdrant-url',
    qdrant.url,
    '--collection',
    collection,
  ];
  return { common, model: ['--model', TINY_CLIP] };
}

async function runWorkers(count: number, args: string[], env: Record<string, string> = {}) {
  const workers = Array.from({ length: count }, (_, i) =>
    startIdx(['work', '--worker-id', `w${i + 1}`, '--until-idle', ...args], env),
  );
  const results = await Promise.all(workers.map((worker) => worker.result));
  results.forEach((result) => expect(result.code, result.stderr).toBe(0));
}

describe('the main job against Qdrant', () => {
  it('indexes the 297 photos with two workers; status shows the Qdrant point count', async () => {
    const { common, model } = setup('q-main');

    const enqueue = await runIdxJson(['enqueue', '--manifest', MANIFEST, ...model, ...common]);
    expect(enqueue.json).toMatchObject({ mode: 'queued', queued: 297, failed: 0 });
    await runWorkers(2, [...model, ...common]);

    const status = await runIdxJson<Status>(['status', ...common]);
    expect(status.json.counts).toMatchObject({ succeeded: 297, failed: 0, waiting: 0, active: 0 });
    expect(status.json.store).toMatchObject({ backend: 'qdrant', points: 297 });
    expect(qdrant.pointCount('q-main')).toBe(297);

    const again = await runIdxJson(['enqueue', '--manifest', MANIFEST, ...model, ...common]);
    expect(again.json).toMatchObject({ queued: 0, skipped: 297 });
  });

  it('search by image finds the product first with a score near 1, on both stores alike', async () => {
    const { common, model } = setup('q-search');
    const dataDir = tempDir();
    await runIdxJson(['enqueue', '--manifest', MANIFEST, ...model, ...common]);
    await runWorkers(1, [...model, ...common]);
    await runIdxJson([
      'enqueue',
      '--manifest',
      MANIFEST,
      ...model,
      '--redis-url',
      'redis://127.0.0.1:1',
      '--data-dir',
      dataDir,
    ]);

    const onQdrant = await runIdxJson<Search>([
      'search',
      '--image',
      SHOE,
      '--limit',
      '5',
      '--qdrant-url',
      qdrant.url,
      '--collection',
      'q-search',
    ]);
    const onSqlite = await runIdxJson<Search>([
      'search',
      '--image',
      SHOE,
      '--limit',
      '5',
      '--data-dir',
      dataDir,
    ]);

    expect(onQdrant.json.hits[0]).toMatchObject({
      rank: 1,
      productId: 'SKU-👟-000204',
      name: 'Shoes 06',
    });
    expect(onQdrant.json.hits[0].score).toBeGreaterThan(0.9999);
    expect(onQdrant.json.hits).toHaveLength(5);
    expect(onSqlite.json.hits.map((hit) => hit.productId)).toEqual(
      onQdrant.json.hits.map((hit) => hit.productId),
    );
    onSqlite.json.hits.forEach((hit, i) =>
      expect(hit.score).toBeCloseTo(onQdrant.json.hits[i].score, 5),
    );

    const products = onQdrant.json.hits.map((hit) => hit.productId);
    expect(new Set(products).size).toBe(products.length);

    const text = await runIdxJson<Search>([
      'search',
      '--text',
      'a red running shoe',
      '--limit',
      '3',
      '--qdrant-url',
      qdrant.url,
      '--collection',
      'q-search',
    ]);
    expect(text.json.hits).toHaveLength(3);
    expect(Object.keys(text.json.hits[0]).sort()).toEqual(
      Object.keys(onQdrant.json.hits[0]).sort(),
    );
  });

  it('refuses, before any job runs, a collection of another dimension', async () => {
    const { common, model } = setup('q-dim');
    await fetch(`${qdrant.url}/collections/q-dim`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ vectors: { size: 768, distance: 'Cosine' } }),
    });

    const result = await runIdx([
      'enqueue',
      path.join(PRODUCTS, 'bags'),
      ...model,
      ...common,
      '--redis-url',
      'redis://127.0.0.1:1',
    ]);
    expect(result.stderr + result.stdout).toMatch(
      /768-dimensional.*512-dimensional.*--collection.*--recreate/,
    );
    expect(qdrant.pointCount('q-dim')).toBe(0);
  });

  it('fails fast with a clear message on a wrong key and on an unreachable host', async () => {
    const guarded = await startQdrantStandin({ apiKey: 'right-key-123' });
    try {
      const started = Date.now();
      const wrong = await runIdx([
        'search',
        '--text',
        'x',
        '--qdrant-url',
        guarded.url,
        '--qdrant-api-key',
        'wrong-key-456',
        '--model',
        TINY_CLIP,
      ]);
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toMatch(/rejected the API key \(401/);
      expect(wrong.stderr).not.toContain('wrong-key-456');

      const closedPort = await freePort();
      const down = await runIdx([
        'search',
        '--text',
        'x',
        '--qdrant-url',
        `http://127.0.0.1:${closedPort}`,
        '--model',
        TINY_CLIP,
      ]);
      expect(down.stderr).toMatch(
        new RegExp(`Qdrant is unreachable at http://127.0.0.1:${closedPort} \\(ECONNREFUSED\\)`),
      );
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      await guarded.close();
    }
  });
});

describe('Qdrant faults during a run', () => {
  it('503s, 429s and an outage: every job ends succeeded, none lost, no duplicates', async () => {
    const { common, model } = setup('q-faults');
    const env = { IDX_STALL_INTERVAL: '1000' };
    await runIdxJson(['enqueue', '--manifest', MANIFEST, ...model, ...common]);

    qdrant.failNext(6, { status: 503, path: /\/points$/ });
    qdrant.failNext(4, { status: 429, retryAfterSeconds: 1, path: /\/points$/ });
    const worker = startIdx(
      ['work', '--worker-id', 'f1', '--until-idle', '--batch-size', '4', ...model, ...common],
      env,
    );

    await waitFor(async () => (qdrant.pointCount('q-faults') ?? 0) > 100, 60_000, 'progress');
    await qdrant.down();
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await qdrant.up();

    const result = await worker.result;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/will retry/);

    const status = await runIdxJson<Status>(['status', ...common]);
    expect(status.json.counts).toMatchObject({ waiting: 0, active: 0, delayed: 0 });
    expect(status.json.counts.succeeded + status.json.counts.failed).toBeGreaterThanOrEqual(297);
    status.json.failures.forEach((failure) => expect(failure.reason).not.toBe(''));
    expect(status.json.failures).toEqual([]);
    expect(qdrant.pointCount('q-faults')).toBe(297 - status.json.counts.failed);
    expect(status.json.counts.failed).toBe(0);
  }, 120_000);
});
