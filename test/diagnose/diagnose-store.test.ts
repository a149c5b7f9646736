/**
 * `idx diagnose` against real setups of the store side: the embedded SQLite store in temp
 * folders and the Qdrant stand-in, with Redis down (the synchronous fallback path) or up.
 */
import fs from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { QdrantStore } from '../../src/store/qdrant-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { TINY_CLIP, runIdx, tempDir } from '../support/cli.js';
import { type QdrantStandin, startQdrantStandin } from '../support/qdrant-standin/server.js';
import { type TestRedis, startTestRedis } from '../support/redis-server.js';
import { check, diagnose, finding } from './support.js';

const NO_REDIS = ['--redis-url', 'redis://127.0.0.1:1'];
const RW_KEY = 'rw-key-4f8a2c91';
const RO_KEY = 'ro-key-7d3e1b55';

let redis: TestRedis;
let qdrant: QdrantStandin;

beforeAll(async () => {
  redis = await startTestRedis();
  qdrant = await startQdrantStandin({ apiKey: RW_KEY, readOnlyApiKey: RO_KEY });
});

afterAll(async () => {
  await qdrant.close();
  await redis.stop();
});

function qdrantFlags(collection: string, key = RW_KEY) {
  return ['--qdrant-url', qdrant.url, '--qdrant-api-key', key, '--collection', collection];
}

describe('idx diagnose on the store side', () => {
  it('embedded store unreachable (data folder under a regular file): store fails, probe not run, broken', async () => {
    const file = path.join(tempDir(), 'not-a-folder');
    fs.writeFileSync(file, 'x');
    const run = await diagnose([
      '--redis-url',
      redis.url,
      '--queue',
      'nostore',
      '--data-dir',
      path.join(file, 'data'),
      '--timeout',
      '15',
    ]);

    expect(run.code).toBe(1);
    expect(run.report.verdict).toBe('broken');
    const store = finding(run.report, 'store', /embedded store .* cannot be opened/);
    expect(store.cause).toBe('part of the path is a regular file, not a folder');
    expect(store.fix.join('\n')).toContain('--data-dir /path/to/writable/folder');
    expect(run.report.probe).toMatchObject({ mode: 'skipped', completed: false, findable: false });
    expect(finding(run.report, 'probe', /not run: the store is not usable/).status).toBe('fail');
    expect(run.wallMs).toBeLessThan(15_000);
  });

  it('Qdrant unreachable (stand-in down): store fails with connection refused, broken', async () => {
    await qdrant.down();
    try {
      const run = await diagnose([...NO_REDIS, ...qdrantFlags('down'), '--timeout', '15']);

      expect(run.code).toBe(1);
      expect(run.report.verdict).toBe('broken');
      const store = finding(run.report, 'store', /Qdrant at .* is unreachable: connection refused/);
      expect(store.cause).toMatch(/nothing listens on 127\.0\.0\.1:\d+/);
      expect(store.fix.join('\n')).toContain('--qdrant-url http://HOST:6333');
      expect(run.wallMs).toBeLessThan(15_000);
    } finally {
      await qdrant.up();
    }
  });

  it('embedded collection of another dimension: the mismatch is named with both sides, broken', async () => {
    const dataDir = tempDir('idx-diagnose-');
    const store = new SqliteStore(dataDir);
    await store.ensureCollection({ name: 'products', dimension: 64, model: TINY_CLIP });
    await store.close();

    const run = await diagnose([...NO_REDIS, '--data-dir', dataDir, '--timeout', '15']);

    expect(run.report.verdict).toBe('broken');
    const mismatch = finding(
      run.report,
      'store',
      /holds 64-dimensional vectors, but model .* makes 512-dimensional ones/,
    );
    expect(mismatch.cause).toMatch(/created for another model/);
    expect(mismatch.fix.join('\n')).toContain('--collection products-512');
    expect(check(run.report, 'store').figures).toMatchObject({
      dimension: 64,
      expectedDimension: 512,
    });
    expect(run.report.probe).toMatchObject({
      mode: 'sync',
      completed: false,
      finalState: 'failed',
    });
    expect(finding(run.report, 'probe', /64-dimensional/).cause).toMatch(/does not fit the model/);
  });

  it('Qdrant collection of another dimension, a working key: the mismatch is named, the key may write', async () => {
    const made = new QdrantStore({ url: qdrant.url, apiKey: RW_KEY });
    await made.ensureCollection({ name: 'narrow', dimension: 64, model: TINY_CLIP });
    await made.close();

    const run = await diagnose([...NO_REDIS, ...qdrantFlags('narrow'), '--timeout', '15']);

    expect(run.report.verdict).toBe('broken');
    finding(
      run.report,
      'store',
      /"narrow" holds 64-dimensional vectors, but model .* makes 512-dimensional ones/,
    );
    expect(check(run.report, 'store').figures).toMatchObject({
      version: '1.17.0',
      health: 'passed',
      keyMayWrite: 'yes (created and dropped a scratch collection)',
      dimension: 64,
    });
    expect(
      qdrant.requests.some(
        (r) => r.method === 'PUT' && r.path.startsWith('/collections/idx-diagnose-'),
      ),
    ).toBe(true);
    expect(qdrant.pointCount('narrow')).toBe(0);
    expect(run.stdout + run.stderr).not.toContain(RW_KEY);
  });

  it('Qdrant healthy with Redis down: the probe is indexed through the fallback and removed again', async () => {
    const run = await diagnose([...NO_REDIS, ...qdrantFlags('fresh'), '--timeout', '15']);

    expect(run.report.verdict).toBe('partially working');
    expect(check(run.report, 'store').status).toBe('ok');
    expect(run.report.probe).toMatchObject({
      mode: 'sync',
      statusAfterEnqueue: 'indexed',
      completed: true,
      findable: true,
      rank: 1,
    });
    expect(qdrant.pointCount('fresh')).toBe(0);
  });

  it('Qdrant read-only key: 403 named as a read-only key; a wrong key: 401; keys masked everywhere', async () => {
    const report = path.join(tempDir(), 'keys.md');
    const readOnly = await diagnose([
      ...NO_REDIS,
      ...qdrantFlags('ro', RO_KEY),
      '--timeout',
      '15',
      '--report',
      report,
    ]);

    const refused = finding(
      readOnly.report,
      'store',
      /refuses writes with this API key \(403 Forbidden\)/,
    );
    expect(refused.cause).toMatch(/read-only key/);
    expect(refused.fix.join('\n')).toContain('--qdrant-api-key "$QDRANT_API_KEY"');
    expect(readOnly.report.verdict).toBe('broken');
    expect(readOnly.stdout + readOnly.stderr + fs.readFileSync(report, 'utf8')).not.toContain(
      RO_KEY,
    );

    const wrong = await diagnose([
      ...NO_REDIS,
      ...qdrantFlags('ro', 'not-the-key-0000'),
      '--timeout',
      '15',
    ]);
    expect(finding(wrong.report, 'store', /401 Unauthorized/).cause).toMatch(
      /the API key is wrong/,
    );
    expect(wrong.stdout + wrong.stderr).not.toContain('not-the-key-0000');
  });

  it('masks a Redis password in the report, and exits 2 for bad arguments', async () => {
    const dataDir = tempDir('idx-diagnose-');
    const run = await diagnose([
      '--redis-url',
      'redis://:hunter2-secret@127.0.0.1:1',
      '--data-dir',
      dataDir,
      '--timeout',
      '15',
    ]);
    expect(run.report.settings.redis).toBe('redis://:***@127.0.0.1:1');
    expect(run.stdout + run.stderr).not.toContain('hunter2-secret');

    for (const args of [
      ['--timeout', '0'],
      ['--timeout', 'soon'],
      ['--host', 'not a host'],
      ['--image', '/nonexistent/photo.jpg'],
      ['--report', '/nonexistent/dir/r.md'],
    ]) {
      const result = await runIdx(['diagnose', ...args]);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
    }
  });
});
