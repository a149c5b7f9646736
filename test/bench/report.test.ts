/**
 * The bench's arithmetic and rendering, on a hand-made report: which targets count as met,
 * and the Markdown the `--report` file gets. No Redis, no model.
 */
import { describe, expect, it } from 'vitest';

import type { BenchReport, QueuedResult } from '../../src/bench/bench-report.js';
import { toMarkdown } from '../../src/bench/report.js';
import { evaluateTargets } from '../../src/bench/targets.js';

function queued(workers: number, itemsPerSecond: number): QueuedResult {
  return {
    workers,
    items: 100,
    indexed: 100,
    skipped: 0,
    failed: 0,
    itemsPerSecond,
    p50Ms: 10,
    p95Ms: 20,
    p99Ms: 30,
    seconds: 100 / itemsPerSecond,
    workerMsPerItem: 1,
    cpuMsPerItem: 2,
    cpuPercent: 150,
    threadsPerWorker: Array.from({ length: workers }, () => 2 / workers),
    perWorker: [],
    backgroundCores: 0.1,
  };
}

function report(overrides: Partial<BenchReport> = {}): BenchReport {
  const base = {
    startedAt: '2026-12-04T00:00:00.000Z',
    seconds: 60,
    machine: {
      cores: 2,
      cpuModel: 'AMD EPYC',
      node: 'v20.20.2',
      platform: 'linux x64',
      memoryGiB: 24,
    },
    model: {
      name: 'compute-equivalent',
      reference: '/cache/compute-equivalent-vit-b32',
      dtype: 'q8' as const,
      dimension: 512,
      batchSize: 8,
      concurrency: 2,
      threads: null,
    },
    images: { folder: '/images', files: 100, count: 100, leftOut: [] },
    conditions: { quietCores: null, quietWaitSeconds: 0, notQuiet: 0 },
    store: { backend: 'sqlite' },
    enqueue: {
      p50Ms: 0.1,
      p95Ms: 0.2,
      p99Ms: 0.3,
      samples: 1000,
      bulkJobsPerSecond: 20_000,
      bulkJobs: 10_000,
      bulkRounds: [19_000, 20_000, 21_000],
    },
    sync: {
      items: 100,
      indexed: 100,
      skipped: 0,
      failed: 0,
      itemsPerSecond: 20,
      p50Ms: 40,
      p95Ms: 60,
      p99Ms: 70,
      threads: 2,
      cpuMsPerItem: 45,
      backgroundCores: 0,
    },
    stages: {
      batchSize: 8,
      batches: 13,
      items: 100,
      indexed: 100,
      skipped: 0,
      failed: 0,
      itemsPerSecond: 25,
      wallMsPerItem: 40,
      readMs: 0.5,
      decodeMs: 3,
      embedMsPerBatch: 280,
      embedMsPerItem: 35,
      upsertMs: 0.1,
      queueMs: 0.4,
      overheadMs: 4,
      cpuMsPerItem: 40,
      backgroundCores: 0,
    },
    queued: [queued(1, 30), queued(2, 36)],
    limit: {
      itemsPerSecond: 40,
      basis: 'together' as const,
      togetherItemsPerSecond: 40,
      byTimeItemsPerSecond: 39,
      byCpuItemsPerSecond: 41.7,
      modelItemsPerSecond: 55,
      threads: 2,
      batchSize: 8,
      modelCpuMsPerItem: 36,
      decodeItemsPerSecond: 150,
      decodeConcurrency: 4,
      decodeCpuMsPerItem: 12,
      cpuMsPerItem: 48,
      cores: 2,
      candidates: [
        { threads: 2, batchSize: 8, itemsPerSecond: 55, cpuMsPerItem: 36, windows: [54, 55, 56] },
      ],
      together: [
        { lanes: 2, threads: 1, batchSize: 8, itemsPerSecond: 40, cpuMsPerItem: 49, windows: [40] },
        { lanes: 1, threads: 2, batchSize: 8, itemsPerSecond: 38, cpuMsPerItem: 51, windows: [38] },
      ],
      decodeWindows: [149, 150, 151],
      backgroundCores: 0,
    },
    efficiency: 0.9,
    overhead: { wallMsPerItem: 27.8, modelMsPerItem: 18.2, ms: 4.9, workers: 2 },
    ratios: {
      queuedVsSync: 1.8,
      workersVsOne: [
        { workers: 1, ratio: 1 },
        { workers: 2, ratio: 1.2 },
      ],
      efficiencyVsModel: 0.65,
      efficiencyVsDecode: 0.24,
      cpuEfficiency: 0.9,
    },
    targets: [],
    cleanup: {
      queueKeysLeft: 0,
      collectionRemoved: true,
      tempFilesRemoved: true,
      queue: 'idx-bench-1',
      collection: 'bench-1',
    },
  };
  return { ...base, ...overrides };
}

function metById(run: BenchReport): Record<string, boolean | null> {
  return Object.fromEntries(evaluateTargets(run).map((target) => [target.id, target.met]));
}

describe('bench targets', () => {
  it('are met when every figure is on the right side of its threshold', () => {
    expect(metById(report())).toEqual({
      'bulk-enqueue': true,
      'single-enqueue': true,
      overhead: true,
      efficiency: true,
      'no-oversubscription': true,
    });
  });

  it('are not met just past each threshold', () => {
    const slow = report({
      enqueue: { ...report().enqueue, bulkJobsPerSecond: 4999, p50Ms: 2 },
      overhead: { ...report().overhead, ms: 5 },
      queued: [queued(1, 30), queued(2, 29.9)],
      efficiency: 0.899,
    });

    expect(metById(slow)).toEqual({
      'bulk-enqueue': false,
      'single-enqueue': false,
      overhead: false,
      efficiency: false,
      'no-oversubscription': false,
    });
  });

  it('cannot tell whether more workers are slower when only one worker count ran', () => {
    expect(metById(report({ queued: [queued(1, 30)] }))['no-oversubscription']).toBeNull();
  });

  it('say which model each target is stated for, and when --threads overrode the default', () => {
    const targets = evaluateTargets(report({ model: { ...report().model, threads: 1 } }));

    expect(targets.find((t) => t.id === 'overhead')?.statedFor).toBe('the tiny model');
    expect(targets.find((t) => t.id === 'efficiency')?.statedFor).toMatch(/compute-equivalent q8/);
    expect(targets.find((t) => t.id === 'no-oversubscription')?.statedFor).toMatch(/--threads 1/);
  });
});

describe('bench Markdown report', () => {
  it('names the machine and has one row per run, the limit, the stages and the targets', () => {
    const run = report();
    const markdown = toMarkdown({ ...run, targets: evaluateTargets(run) });

    expect(markdown).toContain('2 cores (AMD EPYC), 24 GiB, Node v20.20.2');
    expect(markdown).toContain(
      '| sync (fallback, 1 image at a time, 1 process) | 20.0 | 40.0 | 60.0 |',
    );
    expect(markdown).toContain('| queued, 2 worker process(es) | 36.0 | 10 | 20 |');
    expect(markdown).toContain('| limit: model alone (2 thread(s), batch 8) | 55.0 |');
    expect(markdown).toContain(
      '| limit: model + decode together (measured; no queue, store or files) | 40.0 |',
    );
    expect(markdown).toContain(
      'measured 40.0/s with 2 model(s) x 1 thread(s), batch 8; one after the other 39.0/s; CPU bound 41.7/s = 2 cores / (model 36.0 + decode 12.0',
    );
    expect(markdown).toContain('| 1 | 2 | 8 | 38.0 | 51.0 | 38.0 |');
    expect(markdown).toContain(
      '| 0.50 ms | 3.00 ms | 280.00 ms | 35.00 ms | 0.10 ms | 0.40 ms | 4.00 ms |',
    );
    expect(markdown).toMatch(
      /\| bulk enqueue >= 5000 jobs\/s \| local Redis \| 20000 jobs\/s .*\| yes \|/,
    );
    expect(markdown).toContain(
      '| per-item overhead outside the model < 5 ms | the tiny model | 4.90 ms = 27.80 ms per item with 2 worker(s) - 18.20 ms for the model alone',
    );
    expect(markdown).toContain('collection "bench-1" removed');
  });
  it('says when the limit is the one-after-the-other figure, and lists every file left out', () => {
    const base = report();
    const leftOut = ['a.svg', 'b.heic', 'c.bmp', 'd.jpg'].map((name) => ({
      image: `/images/${name}`,
      reason: `reason for ${name}`,
    }));
    const run = report({
      limit: { ...base.limit, itemsPerSecond: 41, basis: 'time', byTimeItemsPerSecond: 41 },
      images: { ...base.images, leftOut },
    });
    const markdown = toMarkdown({ ...run, targets: evaluateTargets(run) });

    expect(markdown).toContain(
      '| limit: model + decode one after the other (from the parts; above the measured) | 41.0 |',
    );
    expect(markdown).toContain(
      'Left out 4 file(s) idx cannot index (a.svg, b.heic, c.bmp and 1 more',
    );
    expect(markdown).toContain('### Files left out (4): not images, or they do not decode');
    for (const file of leftOut) {
      expect(markdown).toContain(`| ${file.image} | ${file.reason} |`);
    }
  });
});
