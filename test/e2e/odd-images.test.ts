/**
 * The awkward and broken files of ../shared/datasets/odd-images through the queue: each
 * ends indexed or failed as the dataset's README expects, nothing hangs or stays queued,
 * and the counts add up.
 */
import fs from 'node:fs';
import path from 'node:path';

import { expect, it } from 'vitest';

import { pointIdFor } from '../../src/store/point-id.js';
import { ODD_IMAGES, TINY_CLIP, runIdx, runIdxJson, tempDir } from '../support/cli.js';
import { useTestRedis } from '../support/redis-server.js';

/** Files the README says to reject (or allows rejecting), with the reason idx gives. */
const FAILS: Record<string, RegExp> = {
  '._resource-fork.jpg': /not an image: macOS metadata file/,
  'jpeg2000-tile-parts.jp2': /unsupported format: JPEG 2000/,
  'photo.heic': /HEIC\/HEVC decoding is not available/,
  'photo.bmp': /unsupported format: BMP/,
  'svg-external-references.svg': /vector images \(SVG\) are not indexed/,
  'svg-simple.svg': /vector images \(SVG\) are not indexed/,
  'svg-viewbox-only.svg': /vector images \(SVG\) are not indexed/,
  'svg-with-embedded-raster-images.svg': /vector images \(SVG\) are not indexed/,
  'text-file-renamed.jpg': /not an image \(unrecognised content\)/,
  'zero-bytes.jpg': /empty file/,
  'jpeg-20000x14000-greyscale.jpg': /exceeds the pixel limit \(20000x14000/,
  'png-20000x20000-rgb-bomb.png': /exceeds the pixel limit \(20000x20000/,
  'png-65536x65536-decompression-bomb.png': /exceeds the pixel limit \(65536x65536/,
  'jpeg-sof-zero-dimensions.jpg': /invalid JPEG header \(zero dimensions\)/,
  'png-bad-crc.png': /corrupt PNG/,
  'truncated-half.jpg': /premature end of JPEG/,
  'truncated.png': /truncated PNG/,
};

/** Files with several frames or pages: the first is indexed, and idx says so. */
const IN_PART: Record<string, string> = {
  'animated-30-frames.gif': 'indexed the first of its 30 frames',
  'animated-9-frames.webp': 'indexed the first of its 9 frames',
  'multipage-3-products.tiff': 'indexed the first of its 3 pages',
  'tiff-multipage-fax-bilevel.tif': 'indexed the first of its 2 pages',
};

interface Summary {
  total: number;
  queued: number;
  failed: number;
  failures: { image: string; reason: string }[];
  notes?: { image: string; note: string }[];
}

const redis = useTestRedis();

it('every odd image ends indexed or failed as its README expects', async () => {
  const files = fs.readdirSync(ODD_IMAGES).filter((file) => file !== 'README.md');
  expect(files).toHaveLength(56);
  const common = ['--redis-url', redis.url, '--queue', 'odd', '--data-dir', tempDir()];
  const model = ['--model', TINY_CLIP];

  const enqueue = await runIdxJson<Summary>(['enqueue', ODD_IMAGES, ...model, ...common]);
  const work = await runIdx(['work', '--until-idle', '--json', ...model, ...common]);
  expect(work.code, work.stderr).toBe(0);
  const status = await runIdxJson<{
    counts: Record<string, number>;
    store: { points: number };
    failures: { jobId: string; image: string }[];
  }>(['status', ...common]);

  const worker = JSON.parse(work.stdout) as { indexed: number; failed: number };
  const failedAtEnqueue = new Map(
    enqueue.json.failures.map((f) => [path.basename(f.image), f.reason]),
  );
  const failedInWorker = [...work.stderr.matchAll(/failed (.+?): (.+)$/gm)].map((m) => [
    path.basename(m[1]),
    m[2],
  ]);
  const failed = new Map([...failedAtEnqueue, ...failedInWorker] as [string, string][]);

  expect([...failed.keys()].sort()).toEqual(Object.keys(FAILS).sort());
  for (const [file, reason] of failed) {
    expect(reason, file).toMatch(FAILS[file]);
  }

  expect(enqueue.json.total).toBe(56);
  expect(enqueue.json.queued + enqueue.json.failed).toBe(56);
  expect(worker.indexed + worker.failed).toBe(enqueue.json.queued);
  // Status accounts for every file: refused at enqueue or failed in the worker.
  expect(status.json.counts).toMatchObject({
    waiting: 0,
    active: 0,
    delayed: 0,
    failed: enqueue.json.failed + worker.failed,
  });
  expect(status.json.counts.succeeded + status.json.counts.failed).toBe(56);
  expect(status.json.store.points).toBe(56 - Object.keys(FAILS).length);

  // One job by id: a decoding failure, and an image that was indexed.
  const failedJob = status.json.failures.find((f) => f.image.endsWith('truncated.png'))!;
  const one = await runIdxJson<{ state: string; reason: string; attempts: number }>([
    'status',
    failedJob.jobId,
    ...common,
  ]);
  expect(one.json).toMatchObject({ state: 'failed', attempts: 1 });
  expect(one.json.reason).toMatch(/truncated PNG/);

  const inPart = [...work.stderr.matchAll(/: (\S+): (indexed the first of .+)$/gm)];
  expect(Object.fromEntries(inPart.map((m) => [path.basename(m[1]), m[2]]))).toEqual(IN_PART);
  const gifId = `products.${pointIdFor('animated-30-frames', 'animated-30-frames.gif')}`;
  const gif = await runIdxJson<{ state: string; note: string }>(['status', gifId, ...common]);
  expect(gif.json).toMatchObject({ state: 'indexed', note: IN_PART['animated-30-frames.gif'] });

  const indexedId = `products.${pointIdFor('progressive', 'progressive.jpg')}`;
  const indexed = await runIdxJson<{ state: string }>(['status', indexedId, ...common]);
  expect(indexed.json.state).toBe('indexed');

  const unknown = await runIdxJson<{ state: string }>(['status', 'products.nope', ...common]);
  expect(unknown).toMatchObject({ code: 1, json: { state: 'unknown' } });
});

it('the synchronous fallback gives the same outcomes', async () => {
  const result = await runIdxJson<Summary & { indexed: number }>([
    'enqueue',
    ODD_IMAGES,
    '--model',
    TINY_CLIP,
    '--redis-url',
    'redis://127.0.0.1:1',
    '--data-dir',
    tempDir(),
  ]);

  expect(result.code).toBe(1);
  expect(result.json).toMatchObject({
    total: 56,
    indexed: 56 - Object.keys(FAILS).length,
    failed: Object.keys(FAILS).length,
  });
  const failed = result.json.failures.map((f) => path.basename(f.image)).sort();
  expect(failed).toEqual(Object.keys(FAILS).sort());
  const notes = result.json.notes!.map(({ image, note }) => [path.basename(image), note]);
  expect(Object.fromEntries(notes)).toEqual(IN_PART);
});
