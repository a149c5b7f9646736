import fs from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { scanPaths } from '../../src/images/scan.js';
import { makeTempDir } from '../support/temp-dirs.js';

function tree(): string {
  const root = makeTempDir('idx-scan-');
  fs.mkdirSync(path.join(root, 'shoes/red'), { recursive: true });
  fs.mkdirSync(path.join(root, '.git'));
  fs.writeFileSync(path.join(root, 'shoes/red/a.jpg'), 'x');
  fs.writeFileSync(path.join(root, 'shoes/b.png'), 'x');
  fs.writeFileSync(path.join(root, '.git/c.jpg'), 'x');
  fs.writeFileSync(path.join(root, '._d.jpg'), 'x');
  return root;
}

describe('scanPaths', () => {
  it('walks folders; product ids are paths relative to the folder, without extension', async () => {
    const root = tree();
    const { candidates, misses } = await scanPaths([root]);

    expect(misses).toEqual([]);
    expect(candidates.map((c) => [c.productId, c.imageKey])).toEqual([
      ['._d', '._d.jpg'],
      ['shoes/b', 'shoes/b.png'],
      ['shoes/red/a', 'shoes/red/a.jpg'],
    ]);
  });

  it('expands relative and absolute glob patterns from their fixed folder', async () => {
    const root = tree();
    const absolute = await scanPaths([`${root}/shoes/**/*.jpg`]);
    const relative = await scanPaths(['shoes/*.png'], root);

    expect(absolute.candidates.map((c) => c.imageKey)).toEqual(['red/a.jpg']);
    expect(relative.candidates.map((c) => c.imagePath)).toEqual([path.join(root, 'shoes/b.png')]);
  });

  it('keeps each real file once inside a symlink loop, and reports dangling links', async () => {
    const root = tree();
    fs.symlinkSync('..', path.join(root, 'shoes/red/loop'));
    fs.symlinkSync('/nonexistent/e.jpg', path.join(root, 'e.jpg'));

    const { candidates } = await scanPaths([root]);

    expect(candidates.map((c) => c.imageKey)).toEqual([
      '._d.jpg',
      'e.jpg',
      'shoes/b.png',
      'shoes/red/a.jpg',
    ]);
  });

  it('names the inputs that matched nothing', async () => {
    const { misses } = await scanPaths(['/nonexistent/folder', '/nonexistent/*.jpg']);
    expect(misses).toEqual([
      { input: '/nonexistent/folder', reason: 'no such file or folder' },
      { input: '/nonexistent/*.jpg', reason: 'the pattern matched no file' },
    ]);
  });
});
