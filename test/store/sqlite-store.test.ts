import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

import { describe, expect, it } from 'vitest';

import { SqliteStore } from '../../src/store/sqlite-store.js';
import { makePoint } from '../support/points.js';
import { makeTempDir } from '../support/temp-dirs.js';

const run = promisify(execFile);
const tempDir = () => makeTempDir('idx-sqlite-');
const spec = { name: 'products', dimension: 8, model: 'tiny' };

describe('SqliteStore', () => {
  it('creates the store folder private to the user', async () => {
    const dir = path.join(tempDir(), 'data');
    const store = new SqliteStore(dir);
    await store.close();

    expect(fs.statSync(dir).mode & 0o077).toBe(0);
  });

  it('refuses a model other than the one the collection was built with', async () => {
    const store = new SqliteStore(tempDir());
    await store.ensureCollection(spec);

    await expect(store.ensureCollection({ ...spec, model: 'other' })).rejects.toThrow(
      /holds embeddings of model tiny, not other.*--collection.*--recreate/,
    );
    await store.ensureCollection({ ...spec, model: 'other' }, { recreate: true });
    expect((await store.describeCollection('products'))?.model).toBe('other');
    await store.close();
  });

  it('keeps exact counts and the latest values with three writer processes', async () => {
    const dir = tempDir();
    const setup = new SqliteStore(dir);
    await setup.ensureCollection(spec);
    await setup.close();

    // Each writer upserts 600 points in batches of 32; ids 0-59 are shared by all three.
    const script = path.resolve(__dirname, '../support/sqlite-writer.ts');
    await Promise.all(
      ['w0', 'w1', 'w2'].map((writer) =>
        run(process.execPath, ['--import', 'tsx', script, dir, writer], { timeout: 60_000 }),
      ),
    );

    const store = new SqliteStore(dir);
    expect(await store.countPoints('products')).toBe(60 + 3 * 540);

    const shared = await store.getPoints('products', [makePoint('shared-7', 8).id]);
    expect(shared).toHaveLength(1);
    expect(['w0', 'w1', 'w2']).toContain(shared[0].payload.name);
    await store.close();
  });
});
