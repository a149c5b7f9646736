/**
 * `idx bench` end to end: the built CLI against a real redis-server, real `idx work`
 * processes and the tiny CLIP model. These tests check that the numbers come from real
 * runs (counts match the images, percentiles ordered, ratios computed from the runs) and
 * that the bench leaves nothing behind. They never check that anything is fast: the
 * machine is shared and has two cores.
 */
import fs from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { BenchReport } from '../../src/bench/bench-report.js';
import { type QdrantStandin, startQdrantStandin } from '../support/qdrant-standin/server.js';
import { useTestRedis } from '../support/redis-server.js';
import {
  ODD_IMAGES,
  PRODUCTS,
  TINY_CLIP,
  runIdx,
  runIdxJson,
  startIdx,
  tempDir,
  waitFor,
} from '../support/cli.js';

/** Small and short: the tiny model, short limit windows, small enqueue rounds. */
const SHORT = [
  '--model',
  TINY_CLIP,
  '--enqueue-jobs',
  '600',
  '--enqueue-samples',
  '100',
  '--window',
  '0.2',
];
const QUICK = [...SHORT, '--images', PRODUCTS];

const redis = useTestRedis();

async function queueKeys(queue: string): Promise<string[]> {
  return [
    ...(await redis.client.keys(`bq:${queue}:*`)),
    ...(await redis.client.keys(`idx:${queue}:*`)),
  ];
}

function expectOrdered(result: { p50Ms: number; p95Ms: number; p99Ms?: number }): void {
  expect(result.p50Ms).toBeGreaterThan(0);
  expect(result.p50Ms).toBeLessThanOrEqual(result.p95Ms);
  if (result.p99Ms !== undefined) {
    expect(result.p95Ms).toBeLessThanOrEqual(result.p99Ms);
  }
}

/** Starts a bench and waits until its first queued run has a worker; returns its pids. */
async function startBenchUntilWorkers() {
  const tmp = tempDir('idx-bench-tmp-');
  const bench = startIdx(
    ['bench', ...QUICK, '--count', '297', '--workers', '2', '--redis-url', redis.url],
    { TMPDIR: tmp },
  );

  let queue = '';
  await waitFor(
    async () => {
      const [key] = await redis.client.keys('idx:idx-bench-*:workers');
      queue = key?.split(':')[1] ?? '';
      return queue !== '' && (await redis.client.hlen(key)) > 0;
    },
    45_000,
    'a bench worker to register',
  );
  const beats = Object.values(await redis.client.hgetall(`idx:${queue}:workers`));
  const pids = beats.map((beat) => (JSON.parse(beat) as { pid: number }).pid);

  return { tmp, bench, queue, pids };
}

describe('idx bench with the embedded store', () => {
  it('measures every part on real runs, with counts matching the images, and cleans up', async () => {
    const tmp = tempDir('idx-bench-tmp-');
    const count = 20;

    const {
      code,
      json: report,
      stderr,
    } = await runIdxJson<BenchReport>(
      [
        'bench',
        ...QUICK,
        '--count',
        String(count),
        '--workers',
        '2',
        '--repeat',
        '2',
        '--redis-url',
        redis.url,
      ],
      { TMPDIR: tmp },
    );
    expect(code, stderr).toBe(0);

    // 20 items cut from the 297 photos use 20 of them.
    expect(report.images).toMatchObject({ folder: PRODUCTS, files: count, count, leftOut: [] });
    expect(report.model).toMatchObject({ dtype: 'fp32', dimension: 512, batchSize: 8 });
    expect(report.store.backend).toBe('sqlite');

    expect(report.sync).toMatchObject({ items: count, indexed: count, failed: 0 });
    expect(report.sync.itemsPerSecond).toBeGreaterThan(0);
    expectOrdered(report.sync);

    expect(report.enqueue.samples).toBe(100);
    expect(report.enqueue.bulkJobs).toBe(600);
    expect(report.enqueue.bulkRounds).toHaveLength(3);
    expectOrdered(report.enqueue);

    expect(report.stages).toMatchObject({ items: count, indexed: count, failed: 0, batches: 3 });
    const { stages } = report;
    expect(stages.overheadMs).toBeCloseTo(
      stages.readMs + stages.decodeMs + stages.upsertMs + stages.queueMs,
      2,
    );
    expect(stages.embedMsPerItem).toBeCloseTo((stages.embedMsPerBatch * stages.batches) / count, 1);

    expect(report.queued.map((run) => run.workers)).toEqual([1, 2]);
    for (const run of report.queued) {
      expect(run).toMatchObject({ items: count, indexed: count, skipped: 0, failed: 0 });
      expect(run.perWorker).toHaveLength(run.workers);
      expect(run.perWorker.reduce((sum, worker) => sum + worker.indexed, 0)).toBe(count);
      expect(run.itemsPerSecond).toBeCloseTo(count / run.seconds, 0);
      expectOrdered(run);
      // Two rounds: the run kept is the slower one (the lower median of two).
      expect(run.rounds).toHaveLength(2);
      expect(run.itemsPerSecond).toBe(Math.min(...run.rounds!));
      expect(new Set(run.perWorker.map((worker) => worker.id)).size).toBe(run.workers);
    }
    // With default settings each worker takes its share of the cores.
    expect(report.queued[1].threadsPerWorker).toEqual([1, 1]);

    const best = Math.max(...report.queued.map((run) => run.itemsPerSecond));
    const { limit } = report;
    expect(limit.candidates.map((c) => `${c.threads}x${c.batchSize}`)).toEqual([
      '1x1',
      '1x8',
      '1x16',
      '2x1',
      '2x8',
      '2x16',
    ]);
    expect(limit.modelItemsPerSecond).toBe(
      Math.max(...limit.candidates.map((c) => c.itemsPerSecond)),
    );
    expect(limit.byTimeItemsPerSecond).toBeCloseTo(
      1 / (1 / limit.modelItemsPerSecond + 1 / limit.decodeItemsPerSecond),
      1,
    );
    expect(limit.byCpuItemsPerSecond).toBeCloseTo((1000 * limit.cores) / limit.cpuMsPerItem!, 1);
    // Together: one model per core with one thread, and one model with both cores, each at
    // the best batch size for the model alone and at the workers' batch size (8).
    const arranged = limit.together.map((t) => `${t.lanes}x${t.threads}`);
    expect([...new Set(arranged)]).toEqual(['2x1', '1x2']);
    for (const [threads, lanes] of [
      [1, 2],
      [2, 1],
    ]) {
      const best = limit.candidates
        .filter((c) => c.threads === threads)
        .reduce((a, b) => (b.itemsPerSecond > a.itemsPerSecond ? b : a));
      const sizes = limit.together.filter((t) => t.lanes === lanes).map((t) => t.batchSize);
      expect(sizes).toEqual([...new Set([best.batchSize, 8])]);
    }
    for (const together of limit.together) {
      expect(together.windows).toHaveLength(3 * 2); // 3 windows in each of 2 rounds
      expect(together.itemsPerSecond).toBeGreaterThan(0);
    }
    expect(limit.togetherItemsPerSecond).toBe(
      Math.max(...limit.together.map((t) => t.itemsPerSecond)),
    );
    expect(limit.itemsPerSecond).toBe(
      Math.max(limit.togetherItemsPerSecond, limit.byTimeItemsPerSecond),
    );
    expect(report.efficiency).toBeCloseTo(best / limit.itemsPerSecond, 2);
    expect(report.overhead.wallMsPerItem).toBeCloseTo(1000 / best, 2);
    expect(report.overhead.modelMsPerItem).toBeCloseTo(1000 / limit.modelItemsPerSecond, 2);
    expect(report.ratios.queuedVsSync).toBeCloseTo(best / report.sync.itemsPerSecond, 2);
    expect(report.ratios.workersVsOne.map((r) => r.workers)).toEqual([1, 2]);

    expect(report.targets.map((target) => target.id)).toEqual([
      'bulk-enqueue',
      'single-enqueue',
      'overhead',
      'efficiency',
      'no-oversubscription',
    ]);

    const { queue, collection } = report.cleanup;
    expect(queue).toMatch(/^idx-bench-\d+$/);
    expect(collection).toMatch(/^bench-\d+$/);
    expect(report.cleanup).toMatchObject({
      queueKeysLeft: 0,
      collectionRemoved: true,
      tempFilesRemoved: true,
    });
    expect(await queueKeys(queue)).toEqual([]);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it('on Ctrl-C stops its workers and removes the queue, the collection and its files', async () => {
    const { tmp, bench, queue, pids } = await startBenchUntilWorkers();

    bench.kill('SIGINT');
    const result = await bench.result;

    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toMatch(/interrupted/);
    expect(await queueKeys(queue)).toEqual([]);
    expect(fs.readdirSync(tmp)).toEqual([]);
    for (const pid of pids) {
      expect(() => process.kill(pid, 0)).toThrow();
    }
  });

  it('on a second signal exits at once, killing its workers, removing its files', async () => {
    const { tmp, bench, queue, pids } = await startBenchUntilWorkers();

    // Two signals sent at once may arrive as one; send the second once the first is seen.
    const stopping = new Promise<void>((resolve) => {
      bench.stderr!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('SIGTERM: stopping the bench')) {
          resolve();
        }
      });
    });
    bench.kill('SIGTERM');
    await stopping;
    bench.kill('SIGTERM');
    const result = await bench.result;

    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toMatch(/again: exiting now; its workers are killed/);
    expect(result.stderr).toContain(`"${queue}"`);
    expect(fs.readdirSync(tmp)).toEqual([]);
    for (const pid of pids) {
      await waitFor(async () => !isAlive(pid), 5000, `bench worker ${pid} to be gone`);
    }
    // Only synchronous work is possible on the way out: the queue's keys are left.
    const left = await queueKeys(queue);
    if (left.length > 0) {
      await redis.client.del(...left);
    }
  });

  it('leaves out files that are not images or do not decode, and says which', async () => {
    const images = tempDir('idx-bench-images-');
    const photos = ['bags/mb01-blue-0.jpg', 'fruit/Avocado_001.jpg', 'fruit/Banana_001.jpg'];
    const bad = ['text-file-renamed.jpg', 'truncated-half.jpg'];
    photos.forEach((photo, i) =>
      fs.copyFileSync(path.join(PRODUCTS, photo), path.join(images, `good-${i}.jpg`)),
    );
    bad.forEach((file) => fs.copyFileSync(path.join(ODD_IMAGES, file), path.join(images, file)));

    const {
      code,
      json: report,
      stderr,
    } = await runIdxJson<BenchReport>([
      'bench',
      ...SHORT,
      '--images',
      images,
      '--count',
      '6',
      '--workers',
      '1',
      '--redis-url',
      redis.url,
    ]);
    expect(code, stderr).toBe(0);

    expect(report.images).toMatchObject({ files: 3, count: 6 });
    expect(report.images.leftOut.map((file) => path.basename(file.image)).sort()).toEqual(bad);
    for (const file of report.images.leftOut) {
      expect(file.reason.length).toBeGreaterThan(5);
    }
    expect(report.sync).toMatchObject({ items: 6, indexed: 6, failed: 0 });
    expect(report.queued[0]).toMatchObject({ items: 6, indexed: 6, failed: 0 });
  });

  it('refuses a missing image folder, naming the flag, and leaves nothing behind', async () => {
    const tmp = tempDir('idx-bench-tmp-');
    const reports = tempDir('idx-bench-report-');
    const result = await runIdx(
      [
        'bench',
        '--model',
        TINY_CLIP,
        '--images',
        path.join(tmp, 'nowhere'),
        '--redis-url',
        redis.url,
        '--report',
        path.join(reports, 'bench.md'),
      ],
      { TMPDIR: tmp },
    );

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--images .*nowhere is not a folder/);
    expect(fs.readdirSync(tmp)).toEqual([]);
    // The --report path was checked up front, and no empty report is left.
    expect(fs.readdirSync(reports)).toEqual([]);
    expect(await redis.client.keys('*idx-bench-*')).toEqual([]);
  });
});

describe('idx bench with Qdrant', () => {
  let qdrant: QdrantStandin;

  beforeAll(async () => {
    qdrant = await startQdrantStandin();
  });

  afterAll(async () => {
    await qdrant.close();
  });

  it('runs against Qdrant, writes a Markdown report and deletes its collection', async () => {
    const tmp = tempDir('idx-bench-tmp-');
    const reportDir = tempDir('idx-bench-report-');
    const reportFile = path.join(reportDir, 'bench.md');

    const {
      code,
      json: report,
      stderr,
    } = await runIdxJson<BenchReport>(
      [
        'bench',
        ...QUICK,
        '--count',
        '12',
        '--workers',
        '1',
        '--redis-url',
        redis.url,
        '--qdrant-url',
        qdrant.url,
        '--report',
        reportFile,
      ],
      { TMPDIR: tmp },
    );
    expect(code, stderr).toBe(0);

    expect(report.store.backend).toBe('qdrant');
    expect(report.queued).toHaveLength(1);
    expect(report.queued[0]).toMatchObject({ workers: 1, items: 12, indexed: 12 });

    const { collection } = report.cleanup;
    const upserts = qdrant.requests.filter(
      (r) => r.method === 'PUT' && r.path === `/collections/${collection}/points`,
    );
    expect(upserts.length).toBeGreaterThan(0);
    expect(qdrant.pointCount(collection)).toBeUndefined();
    expect(await queueKeys(report.cleanup.queue)).toEqual([]);
    expect(fs.readdirSync(tmp)).toEqual([]);

    const markdown = fs.readFileSync(reportFile, 'utf8');
    expect(markdown).toContain('| run | items/s | p50 ms | p95 ms |');
    expect(markdown).toContain('queued, 1 worker process(es)');
    expect(markdown).toMatch(/### Targets/);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
