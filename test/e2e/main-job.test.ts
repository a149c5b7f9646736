/**
 * The main job end to end, as the issue states it: real redis-server, real worker
 * processes, the real model-loading path (tiny CLIP fixture) and the embedded store.
 */
import fs from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { useTestRedis } from '../support/redis-server.js';
import {
  PRODUCTS,
  TINY_CLIP,
  runIdx,
  runIdxJson,
  startIdx,
  tempDir,
  waitFor,
} from '../support/cli.js';

const MANIFEST = path.join(PRODUCTS, 'manifest.csv');

interface Summary {
  mode: string;
  total: number;
  queued: number;
  indexed: number;
  skipped: number;
  failed: number;
  failures: { image: string; reason: string }[];
}

interface Status {
  redis: { available: boolean };
  counts: Record<'waiting' | 'active' | 'succeeded' | 'failed' | 'delayed', number>;
  workers: { id: string; live: boolean; processed: number }[];
  store: { backend: string; collection: string; points: number };
}

const redis = useTestRedis();

function setup(queue: string) {
  const dataDir = tempDir();
  const common = ['--redis-url', redis.url, '--queue', queue, '--data-dir', dataDir];
  return { dataDir, common, model: ['--model', TINY_CLIP] };
}

describe('idx enqueue + work + status on the real product photos', () => {
  it('queues all 297, two workers index them, status reports 297 succeeded and 297 points', async () => {
    const { common, model } = setup('main');

    const enqueue = await runIdxJson<Summary>([
      'enqueue',
      '--manifest',
      MANIFEST,
      ...model,
      ...common,
    ]);
    expect(enqueue.code).toBe(0);
    expect(enqueue.stderr).not.toMatch(/queued anyway/);
    expect(enqueue.json).toMatchObject({
      mode: 'queued',
      total: 297,
      queued: 297,
      indexed: 0,
      skipped: 0,
      failed: 0,
    });

    const workers = ['w1', 'w2'].map((id) =>
      startIdx(['work', '--worker-id', id, '--until-idle', ...model, ...common, '--json']),
    );
    const results = await Promise.all(workers.map((worker) => worker.result));
    results.forEach((result) => expect(result.code, result.stderr).toBe(0));

    const done = results.map((result) => JSON.parse(result.stdout) as { indexed: number });
    expect(done[0].indexed + done[1].indexed).toBe(297);
    expect(done[0].indexed).toBeGreaterThan(0);
    expect(done[1].indexed).toBeGreaterThan(0);

    const status = await runIdxJson<Status>(['status', ...common]);
    expect(status.json.redis.available).toBe(true);
    expect(status.json.counts).toMatchObject({
      waiting: 0,
      active: 0,
      delayed: 0,
      succeeded: 297,
      failed: 0,
    });
    expect(status.json.store).toMatchObject({
      backend: 'sqlite',
      collection: 'products',
      points: 297,
    });
  });

  it('is idempotent: enqueueing the same photos again skips them all and keeps 297 points', async () => {
    const { common, model } = setup('twice');
    await runIdxJson(['enqueue', '--manifest', MANIFEST, ...model, ...common]);
    await runIdx(['work', '--until-idle', ...model, ...common]);

    const again = await runIdxJson<Summary>([
      'enqueue',
      '--manifest',
      MANIFEST,
      ...model,
      ...common,
    ]);
    expect(again.json).toMatchObject({ total: 297, queued: 0, skipped: 297, failed: 0 });

    const folder = await runIdxJson<Summary>([
      'enqueue',
      path.join(PRODUCTS, 'bags'),
      ...model,
      ...common,
    ]);
    const folderAgain = await runIdxJson<Summary>([
      'enqueue',
      path.join(PRODUCTS, 'bags'),
      ...model,
      ...common,
    ]);
    expect(folder.json.queued).toBe(18);
    expect(folderAgain.json).toMatchObject({ queued: 0, skipped: 18 });

    await runIdx(['work', '--until-idle', ...model, ...common]);
    const status = await runIdxJson<Status>(['status', ...common]);
    expect(status.json.store.points).toBe(297 + 18);
  });

  it('queues for a model missing here, warning with the folder and the fix', async () => {
    const { dataDir, common } = setup('missing-model');
    const nowhere = path.join(dataDir, 'no-such-model');

    const queued = await runIdxJson<Summary>([
      'enqueue',
      path.join(PRODUCTS, 'hat'),
      '--model',
      nowhere,
      ...common,
    ]);
    expect(queued.code, queued.stderr).toBe(0);
    expect(queued.json).toMatchObject({ mode: 'queued', failed: 0 });
    expect(queued.json.queued).toBeGreaterThan(0);
    expect(queued.stderr).toContain(nowhere);
    expect(queued.stderr).toMatch(/queued anyway, for workers on a machine that has the model/);
  });

  it('indexes synchronously when Redis is down, and says so', async () => {
    const { dataDir, model } = setup('sync');
    const down = ['--redis-url', 'redis://127.0.0.1:1', '--data-dir', dataDir];

    const started = Date.now();
    const sync = await runIdxJson<Summary>(['enqueue', '--manifest', MANIFEST, ...model, ...down]);
    expect(sync.json).toMatchObject({
      mode: 'sync',
      total: 297,
      queued: 0,
      indexed: 297,
      failed: 0,
    });
    expect(sync.stderr).toMatch(
      /Redis is unavailable at redis:\/\/127\.0\.0\.1:1.*Indexing synchronously/,
    );
    expect(Date.now() - started).toBeLessThan(60_000);

    const status = await runIdxJson<Status>(['status', ...down]);
    expect(status.json.redis.available).toBe(false);
    // Without Redis the queue figures are unknown, not zero.
    expect(status.json.counts).toBeNull();
    expect(status.json.store.points).toBe(297);
  });

  it('with --no-fallback exits non-zero with the message, and masks the password', async () => {
    const { dataDir, model } = setup('nofallback');
    const result = await runIdx([
      'enqueue',
      path.join(PRODUCTS, 'bags'),
      '--no-fallback',
      ...model,
      '--redis-url',
      'redis://:hunter2@127.0.0.1:1',
      '--data-dir',
      dataDir,
    ]);

    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/Redis is unavailable at redis:\/\/:\*\*\*@127\.0\.0\.1:1/);
    expect(result.stderr + result.stdout).not.toContain('hunter2');
  });

  it('gives up on a host that accepts connections and never answers within --redis-timeout', async () => {
    const net = await import('node:net');
    const silent = net.createServer(() => {}).listen(0, '127.0.0.1');
    await new Promise((resolve) => silent.once('listening', resolve));
    const port = (silent.address() as { port: number }).port;

    const started = Date.now();
    const result = await runIdx([
      'status',
      '--redis-url',
      `redis://127.0.0.1:${port}`,
      '--redis-timeout',
      '1',
      '--json',
    ]);
    silent.close();

    expect(JSON.parse(result.stdout).redis).toMatchObject({ available: false });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('idx work under faults', () => {
  it('loses nothing when a worker is SIGKILLed mid-batch: another worker finishes its jobs', async () => {
    const { common, model } = setup('kill');
    const env = { IDX_STALL_INTERVAL: '1000' };
    await runIdxJson(['enqueue', '--manifest', MANIFEST, ...model, ...common]);

    // One image per batch and one batch in flight keeps the victim slow enough to catch;
    // a job takes a few ms, so the kill can land between two jobs: then try another victim.
    let heldWhenKilled = 0;
    for (let attempt = 1; attempt <= 5 && heldWhenKilled === 0; attempt++) {
      const victim = startIdx(
        [
          'work',
          '--worker-id',
          `victim-${attempt}`,
          '--batch-size',
          '1',
          '--concurrency',
          '1',
          ...model,
          ...common,
        ],
        env,
      );
      await waitFor(
        async () =>
          (await redis.client.hlen('idx:kill:stats')) > 0 &&
          (await redis.client.llen('bq:kill:active')) > 0,
        20_000,
        'the victim to hold an active job',
      );
      victim.kill('SIGKILL');
      await victim.result;
      heldWhenKilled = await redis.client.llen('bq:kill:active');
    }
    expect(heldWhenKilled).toBeGreaterThan(0);

    const rescuer = await runIdx(
      ['work', '--worker-id', 'rescuer', '--until-idle', ...model, ...common],
      env,
    );
    expect(rescuer.code, rescuer.stderr).toBe(0);

    const status = await runIdxJson<Status>(['status', ...common]);
    expect(status.json.counts).toMatchObject({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    expect(status.json.counts.succeeded).toBeGreaterThanOrEqual(297);
    expect(status.json.store.points).toBe(297);
  });

  it('on SIGTERM finishes the batch in hand and exits 0; nothing is lost', async () => {
    const { common, model } = setup('term');
    const env = { IDX_STALL_INTERVAL: '1000' };
    await runIdxJson(['enqueue', '--manifest', MANIFEST, ...model, ...common]);

    const worker = startIdx(
      ['work', '--worker-id', 'polite', '--batch-size', '4', ...model, ...common],
      env,
    );
    await waitFor(
      async () => (await redis.client.llen('bq:term:active')) > 0,
      20_000,
      'an active job',
    );
    worker.kill('SIGTERM');
    const result = await worker.result;

    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/stopping \(SIGTERM received\)/);
    expect(await redis.client.hexists('idx:term:workers', 'polite')).toBe(0);

    // Every image is accounted for: finished, or still queued. bee-queue may hand over one
    // more job in the instant the worker stops; it stays "active" until a stall check.
    const after = await runIdxJson<Status>(['status', ...common]);
    const { succeeded, waiting, active } = after.json.counts;
    expect(succeeded + waiting + active).toBe(297);
    expect(active).toBeLessThanOrEqual(1);
    expect(after.json.store.points).toBe(succeeded);

    await runIdx(['work', '--until-idle', ...model, ...common], env);
    const final = await runIdxJson<Status>(['status', ...common]);
    expect(final.json.counts).toMatchObject({ waiting: 0, active: 0, failed: 0 });
    expect(final.json.store.points).toBe(297);
  });

  it('leaves no temporary files behind', async () => {
    const { common, model } = setup('tmp');
    const tmp = tempDir('idx-tmpdir-');
    const env = { TMPDIR: tmp };

    await runIdxJson(['enqueue', path.join(PRODUCTS, 'hat'), ...model, ...common], env);
    await runIdx(['work', '--until-idle', ...model, ...common], env);

    expect(fs.readdirSync(tmp)).toEqual([]);
  });
});
