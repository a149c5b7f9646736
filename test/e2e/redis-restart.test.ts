/**
 * Redis goes away in the middle of a run and comes back: the worker rides it out and
 * every image still ends indexed, with nothing stuck in the queue.
 */
import path from 'node:path';

import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { PRODUCTS, TINY_CLIP, runIdxJson, startIdx, tempDir, waitFor } from '../support/cli.js';
import { type TestRedis, startTestRedis } from '../support/redis-server.js';

let redis: TestRedis;

beforeAll(async () => {
  // Append-only persistence, so that the queue survives the restart as in production.
  redis = await startTestRedis(['--appendonly', 'yes', '--appendfsync', 'always']);
});

afterAll(async () => {
  await redis.stop();
});

it('a worker survives a Redis restart mid-run and finishes every job', async () => {
  const dataDir = tempDir();
  const common = [
    '--redis-url',
    redis.url,
    '--queue',
    'restart',
    '--data-dir',
    dataDir,
    '--model',
    TINY_CLIP,
  ];
  const env = { IDX_STALL_INTERVAL: '1000' };
  const enqueue = await runIdxJson<{ queued: number }>([
    'enqueue',
    '--manifest',
    path.join(PRODUCTS, 'manifest.csv'),
    ...common,
  ]);
  expect(enqueue.json.queued).toBe(297);

  const worker = startIdx(
    [
      'work',
      '--worker-id',
      'survivor',
      '--batch-size',
      '2',
      '--concurrency',
      '1',
      '--until-idle',
      ...common,
      '--json',
    ],
    env,
  );
  const probe = new Redis(redis.url, { lazyConnect: true, retryStrategy: () => null });
  await probe.connect();
  await waitFor(
    async () => Number(await probe.hget('idx:restart:stats', 'indexed')) > 20,
    30_000,
    'some progress',
  );
  probe.disconnect();

  await redis.stop();
  // Longer than node_redis's default reconnect budget once was (5 s), which broke workers.
  await new Promise((resolve) => setTimeout(resolve, 7000));
  await redis.start();

  const result = await worker.result;
  expect(result.code, result.stderr).toBe(0);
  // The outage happened while it worked, not after: it noticed and carried on.
  expect(result.stderr).toMatch(/queue connection problem|will retry/);

  const status = await runIdxJson<{ counts: Record<string, number>; store: { points: number } }>([
    'status',
    ...common.slice(0, -2),
  ]);
  expect(status.json.counts).toMatchObject({ waiting: 0, active: 0, delayed: 0, failed: 0 });
  expect(status.json.store.points).toBe(297);
  expect(status.json.counts.succeeded).toBeGreaterThanOrEqual(297);
}, 120_000);
