/**
 * `idx diagnose` against real setups of the queue side: a real redis-server, real worker
 * processes, the tiny CLIP model and the embedded store in temp folders.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SqliteStore } from '../../src/store/sqlite-store.js';
import { PRODUCTS, runIdx, startIdx, tempDir, waitFor } from '../support/cli.js';
import { type TestRedis, startTestRedis } from '../support/redis-server.js';
import { HATS, MODEL, check, diagnose, finding, queueState, startWorker } from './support.js';

let redis: TestRedis;

beforeAll(async () => {
  // Started like every test Redis: --save "" --appendonly no, i.e. without persistence.
  redis = await startTestRedis();
});

afterAll(async () => {
  await redis.stop();
});

function setup(queue: string, url = redis.url) {
  const dataDir = tempDir('idx-diagnose-');
  return { dataDir, common: ['--redis-url', url, '--queue', queue, '--data-dir', dataDir] };
}

async function indexHats(common: string[]) {
  const queued = await runIdx(['enqueue', HATS, ...MODEL, ...common]);
  expect(queued.code, queued.stderr).toBe(0);
}

async function pointsIn(dataDir: string): Promise<number> {
  const store = new SqliteStore(dataDir);
  try {
    return (await store.describeCollection('products'))?.points ?? 0;
  } finally {
    await store.close();
  }
}

describe('idx diagnose on the queue side', () => {
  it('everything healthy, worker running: probe queued, completed, findable; verdict working; no trace left', async () => {
    const durable = await startTestRedis(['--appendonly', 'yes']);
    const { dataDir, common } = setup('healthy', durable.url);
    const worker = await startWorker(durable.url, common.slice(2));
    try {
      await indexHats(common);
      await waitFor(
        async () => (await queueState(durable.url, 'healthy')).stats.indexed === '12',
        20_000,
        '12 hats indexed',
      );
      const report = path.join(tempDir(), 'healthy.md');

      const run = await diagnose([...common, '--timeout', '20', '--report', report]);

      expect(run.code, run.stderr).toBe(0);
      expect(run.report.verdict).toBe('working');
      expect(run.report.checks.map((c) => [c.name, c.status])).toEqual([
        ['redis', 'ok'],
        ['workers', 'ok'],
        ['store', 'ok'],
        ['model', 'ok'],
        ['probe', 'ok'],
      ]);
      expect(run.report.probe).toMatchObject({
        mode: 'queue',
        statusAfterEnqueue: 'queued',
        completed: true,
        findable: true,
        rank: 1,
      });
      expect(run.report.probe.seconds).toBeLessThan(20);
      expect(check(run.report, 'redis').figures).toMatchObject({
        reachable: true,
        aof: 'on',
        pings: 20,
        waiting: 0,
        indexed: 12,
      });
      expect(check(run.report, 'workers').figures).toMatchObject({ live: 1, stuckActive: 0 });
      expect(run.report.performance.enqueueMs).toBeGreaterThan(0);
      expect(run.report.performance.liveWorkers.map((w) => w.id)).toEqual(['w1']);
      expect(run.report.checklist.every((item) => item.ok)).toBe(true);
      expect(run.wallMs).toBeLessThan(20_000);

      const markdown = fs.readFileSync(report, 'utf8');
      expect(markdown).toMatch(/^# idx diagnose: working/);
      expect(markdown).toContain('| enqueue latency (one job) |');

      const after = await queueState(durable.url, 'healthy');
      expect(after).toMatchObject({
        waiting: 0,
        active: 0,
        probeKeys: [],
        probeJobs: [],
        probeCompletions: [],
      });
      expect(after.stats).toEqual({ indexed: '12' });
      expect(await pointsIn(dataDir)).toBe(12);
    } finally {
      worker.kill('SIGTERM');
      await worker.result;
      await durable.stop();
    }
  });

  it('Redis down: the fallback is reported, the probe is "indexed", verdict partially working', async () => {
    const { dataDir, common } = setup('down', 'redis://127.0.0.1:1');
    const run = await diagnose([...common, '--timeout', '15']);

    expect(run.code).toBe(1);
    expect(run.report.verdict).toBe('partially working');
    const redisDown = finding(run.report, 'redis', /refuses connections/);
    expect(redisDown.cause).toMatch(/no redis-server listens.*indexes in its own process/);
    expect(redisDown.fix.join('\n')).toMatch(/redis-server --port 1/);
    expect(run.report.probe).toMatchObject({
      mode: 'sync',
      statusAfterEnqueue: 'indexed',
      completed: true,
      findable: true,
    });
    expect(finding(run.report, 'probe', /synchronous fallback/).status).toBe('warn');
    expect(run.report.performance.syncMsPerItem).toBeGreaterThan(0);
    expect(run.wallMs).toBeLessThan(15_000);
    expect(await pointsIn(dataDir)).toBe(0);
  });

  it('a wrong Redis password: no fallback is pretended, the probe is not run, verdict broken', async () => {
    const guarded = await startTestRedis(['--requirepass', 'right-password-1']);
    try {
      const url = guarded.url.replace('redis://', 'redis://:wrong-password-2@');
      const { common } = setup('password', url);
      const run = await diagnose([...common, '--timeout', '15']);

      expect(run.code).toBe(1);
      expect(run.report.verdict).toBe('broken');
      expect(run.report.probe).toMatchObject({ mode: 'skipped', completed: false });
      expect(finding(run.report, 'probe', /refused the password/).status).toBe('fail');
      expect(JSON.stringify(run.report)).not.toContain('wrong-password-2');
    } finally {
      await guarded.stop();
    }
  });

  it('Redis up, no worker: the probe stays "queued", the cause and the fix are named, the job is removed', async () => {
    const { common } = setup('idle');
    const run = await diagnose([...common, '--timeout', '15']);

    expect(run.code).toBe(1);
    expect(run.report.verdict).toBe('broken');
    expect(run.report.probe).toMatchObject({
      mode: 'queue',
      statusAfterEnqueue: 'queued',
      finalState: 'queued',
      completed: false,
    });
    const stayed = finding(run.report, 'probe', /stayed "queued"/);
    expect(stayed.cause).toMatch(/no live worker on queue "idle"/);
    expect(stayed.fix.join('\n')).toContain(
      `idx work --worker-id w1 --redis-url ${redis.url} --queue idle`,
    );
    expect(finding(run.report, 'workers', /No worker is running/).status).toBe('warn');
    expect(run.wallMs).toBeLessThan(15_000);

    const after = await queueState(redis.url, 'idle');
    expect(after).toMatchObject({ waiting: 0, active: 0, probeKeys: [], probeJobs: [] });
  });

  it('a host that accepts connections and never answers: fails within the timeout', async () => {
    const silent = net.createServer(() => {}).listen(0, '127.0.0.1');
    await new Promise((resolve) => silent.once('listening', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      const url = `127.0.0.1:${port}`;
      const run = await diagnose([
        '--redis-url',
        `redis://${url}`,
        '--qdrant-url',
        `http://${url}`,
        '--timeout',
        '5',
      ]);

      expect(run.code).toBe(1);
      expect(run.report.verdict).toBe('broken');
      expect(
        finding(run.report, 'redis', /accepts the connection but does not answer within/).status,
      ).toBe('fail');
      expect(
        finding(run.report, 'store', /accepts the connection but does not answer within/).status,
      ).toBe('fail');
      expect(run.report.seconds).toBeLessThanOrEqual(5);
      // The process itself, Node start-up included, is done shortly after: nothing holds it open.
      expect(run.wallMs).toBeLessThan(7_500);
    } finally {
      silent.close();
    }
  });

  it('Redis without persistence: a warning, not a failure', async () => {
    const { common } = setup('volatile');
    const worker = await startWorker(redis.url, common.slice(2));
    try {
      const run = await diagnose([...common, '--timeout', '20']);

      expect(run.code, run.stderr).toBe(0);
      expect(run.report.verdict).toBe('working');
      expect(check(run.report, 'redis').status).toBe('warn');
      const volatile = finding(run.report, 'redis', /neither AOF nor RDB/);
      expect(volatile.cause).toMatch(/every queued job vanishes/);
      expect(volatile.fix).toContain(
        `redis-cli -h 127.0.0.1 -p ${redis.port} CONFIG SET appendonly yes`,
      );
      expect(run.report.checks.filter((c) => c.status === 'fail')).toEqual([]);
    } finally {
      worker.kill('SIGTERM');
      await worker.result;
    }
  });

  it('jobs stuck active after a worker was killed: named, with the cause and the fix', async () => {
    const { common } = setup('stuck');
    const queued = await runIdx([
      'enqueue',
      '--manifest',
      path.join(PRODUCTS, 'manifest.csv'),
      ...MODEL,
      ...common,
    ]);
    expect(queued.code, queued.stderr).toBe(0);
    // One image at a time keeps the victim holding a job when it is killed; a job takes a
    // few ms, so the kill can land between two jobs: then try another victim.
    const client = new Redis(redis.url);
    let victimId = '';
    try {
      for (let attempt = 1; attempt <= 5; attempt++) {
        victimId = `victim-${attempt}`;
        const victim = startIdx([
          'work',
          '--worker-id',
          victimId,
          '--batch-size',
          '1',
          '--concurrency',
          '1',
          ...MODEL,
          ...common,
        ]);
        await waitFor(
          async () =>
            (await client.hexists('idx:stuck:stats', 'indexed')) === 1 &&
            (await client.llen('bq:stuck:active')) > 0,
          20_000,
          'the victim to hold a job',
        );
        victim.kill('SIGKILL');
        await victim.result;
        if ((await client.llen('bq:stuck:active')) > 0) {
          break;
        }
      }
      // Its last heartbeat goes stale after 10 s; only then is it known to be gone.
      await waitFor(
        async () =>
          Date.now() -
            Date.parse(JSON.parse((await client.hget('idx:stuck:workers', victimId))!).lastSeen) >
          10_500,
        15_000,
        'the heartbeat to go stale',
      );
      expect(await client.llen('bq:stuck:active')).toBeGreaterThan(0);

      const run = await diagnose([...common, '--timeout', '15']);

      const stuck = finding(run.report, 'workers', /stuck active/);
      expect(stuck.status).toBe('warn');
      expect(stuck.cause).toMatch(/a worker died while holding them.*stall check/);
      expect(stuck.fix.join('\n')).toContain('idx work --worker-id w1');
      expect(finding(run.report, 'workers', /heartbeat stale: victim/).cause).toMatch(/killed/);
      expect(check(run.report, 'workers').figures).toMatchObject({ live: 0, stuckActive: 1 });
      expect(run.report.verdict).toBe('broken');
      expect(run.wallMs).toBeLessThan(15_000);
    } finally {
      client.disconnect();
    }
  }, 60_000);
});
