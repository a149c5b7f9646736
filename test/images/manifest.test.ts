import fs from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { parseCsv, readManifest } from '../../src/images/manifest.js';
import { makeTempDir } from '../support/temp-dirs.js';

function write(name: string, text: string): string {
  const dir = makeTempDir('idx-manifest-');
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

describe('parseCsv', () => {
  it('honours quotes, doubled quotes, commas and newlines inside quotes, and CRLF', () => {
    const rows = parseCsv('a,b\r\n"x, ""y""","multi\nline"\r\nlast,row');
    expect(rows.map((row) => row.cells)).toEqual([
      ['a', 'b'],
      ['x, "y"', 'multi\nline'],
      ['last', 'row'],
    ]);
    expect(rows.map((row) => row.line)).toEqual([1, 2, 4]);
  });
});

describe('readManifest', () => {
  it('resolves images against the manifest folder and keeps extra columns', async () => {
    const file = write(
      'm.csv',
      'product_id,name,category,image,price\nSKU-1,Red Shoe,shoes,img/a.jpg,19.99\n',
    );
    const { entries, problems } = await readManifest(file);

    expect(problems).toEqual([]);
    expect(entries).toEqual([
      {
        productId: 'SKU-1',
        name: 'Red Shoe',
        category: 'shoes',
        imageKey: 'img/a.jpg',
        imagePath: path.join(path.dirname(file), 'img/a.jpg'),
        extra: { price: '19.99' },
      },
    ]);
  });

  it('reports bad rows with their line and loads the rest', async () => {
    const file = write(
      'm.csv',
      'product_id,name,category,image\n,No id,x,a.jpg\nSKU-2,Ok,x,b.jpg\nSKU-3,Short\n',
    );
    const { entries, problems } = await readManifest(file);

    expect(entries.map((entry) => entry.productId)).toEqual(['SKU-2']);
    expect(problems).toEqual([
      { line: 2, image: 'a.jpg', reason: 'manifest line 2: product_id is empty' },
      { line: 4, image: '', reason: 'manifest line 4: expected 4 columns, found 2' },
    ]);
  });

  it('reads JSONL and reports lines that are not objects', async () => {
    const file = write('m.jsonl', '{"product_id":"P 1","image":"x.png","stock":3}\nnot json\n');
    const { entries, problems } = await readManifest(file);

    expect(entries[0]).toMatchObject({
      productId: 'P 1',
      name: 'P 1',
      category: '',
      extra: { stock: '3' },
    });
    expect(problems[0].line).toBe(2);
    expect(problems[0].reason).toMatch(/invalid JSON/);
  });

  it('refuses a CSV without the required header', async () => {
    const file = write('m.csv', 'id,file\n1,a.jpg\n');
    await expect(readManifest(file)).rejects.toThrow(
      /header row with at least product_id and image/,
    );
  });

  it('says a missing manifest does not exist and what to pass instead', async () => {
    const missing = path.join(makeTempDir('idx-manifest-'), 'nope.csv');

    await expect(readManifest(missing)).rejects.toThrow(
      /Cannot read manifest .*nope\.csv \(no such file\); pass --manifest <CSV or JSONL file>/,
    );
  });

  it('reads the real products manifest: 297 rows, none rejected', async () => {
    const manifest = path.resolve(__dirname, '../../../shared/datasets/products/manifest.csv');
    const { entries, problems } = await readManifest(manifest);

    expect(problems).toEqual([]);
    expect(entries).toHaveLength(297);
    expect(entries.every((entry) => fs.existsSync(entry.imagePath))).toBe(true);
  });
});
