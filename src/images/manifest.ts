import fs from 'node:fs/promises';
import path from 'node:path';

import { ConfigError } from '../core/errors.js';

/** One manifest row: a product image with its identity and payload. */
export interface ManifestEntry {
  productId: string;
  name: string;
  category: string;
  /** The `image` column as written; the image's key within its product. */
  imageKey: string;
  /** Absolute path: `image` resolved against the manifest's folder. */
  imagePath: string;
  /** Every other column, kept in the payload. */
  extra: Record<string, string>;
}

/** A row that cannot become a job, with the line it came from. */
export interface ManifestProblem {
  line: number;
  image: string;
  reason: string;
}

const KNOWN = new Set(['product_id', 'name', 'category', 'image']);

/**
 * Reads a CSV (header row, RFC 4180 quoting) or JSONL manifest with the columns
 * `product_id,name,category,image`. `image` is relative to the manifest's folder.
 * A bad row becomes a problem with its line number; the rest still load.
 */
export async function readManifest(
  file: string,
): Promise<{ entries: ManifestEntry[]; problems: ManifestProblem[] }> {
  const text = await fs.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    const why = err.code === 'ENOENT' ? 'no such file' : (err.code ?? err.message);
    throw new ConfigError(
      `Cannot read manifest ${file} (${why}); pass --manifest <CSV or JSONL file> with the columns product_id,name,category,image.`,
    );
  });

  const records = /\.jsonl?$/i.test(file) ? parseJsonLines(text) : parseCsvRecords(text, file);
  const folder = path.dirname(path.resolve(file));
  const entries: ManifestEntry[] = [];
  const problems: ManifestProblem[] = [];

  for (const { line, fields, error } of records) {
    const image = fields.image ?? '';
    const productId = (fields.product_id ?? '').trim();

    if (error) {
      problems.push({ line, image, reason: `manifest line ${line}: ${error}` });
    } else if (!productId) {
      problems.push({ line, image, reason: `manifest line ${line}: product_id is empty` });
    } else if (!image) {
      problems.push({ line, image, reason: `manifest line ${line}: image is empty` });
    } else {
      entries.push(toEntry(fields, productId, image, folder));
    }
  }

  return { entries, problems };
}

function toEntry(
  fields: Record<string, string>,
  productId: string,
  image: string,
  folder: string,
): ManifestEntry {
  const extra: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (!KNOWN.has(key)) {
      extra[key] = value;
    }
  }

  return {
    productId,
    name: fields.name?.trim() || productId,
    category: fields.category?.trim() ?? '',
    imageKey: image,
    imagePath: path.resolve(folder, image),
    extra,
  };
}

interface RawRecord {
  line: number;
  fields: Record<string, string>;
  error?: string;
}

function parseJsonLines(text: string): RawRecord[] {
  const records: RawRecord[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    if (raw.trim() === '') {
      return;
    }

    try {
      const value = JSON.parse(raw) as unknown;
      if (!value || typeof value !== 'object' || Array.isArray(value)) {
        throw new Error('not a JSON object');
      }
      const fields = Object.fromEntries(
        Object.entries(value).map(([key, field]) => [key, stringify(field)]),
      );
      records.push({ line: index + 1, fields });
    } catch (err) {
      records.push({
        line: index + 1,
        fields: {},
        error: `invalid JSON (${(err as Error).message})`,
      });
    }
  });
  return records;
}

function stringify(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function parseCsvRecords(text: string, file: string): RawRecord[] {
  const rows = parseCsv(text.replace(/^\uFEFF/, ''));
  const header = rows.shift();
  if (!header || !header.cells.includes('product_id') || !header.cells.includes('image')) {
    throw new ConfigError(
      `Manifest ${file} needs a header row with at least product_id and image (and usually name, category).`,
    );
  }

  const columns = header.cells.map((cell) => cell.trim());
  return rows
    .filter((row) => row.cells.some((cell) => cell !== ''))
    .map((row) => {
      if (row.cells.length !== columns.length) {
        return {
          line: row.line,
          fields: { image: row.cells[columns.indexOf('image')] ?? '' },
          error: `expected ${columns.length} columns, found ${row.cells.length}`,
        };
      }
      return {
        line: row.line,
        fields: Object.fromEntries(columns.map((c, i) => [c, row.cells[i]])),
      };
    });
}

/** Splits CSV text into rows of cells, honouring quotes, doubled quotes and CRLF. */
export function parseCsv(text: string): { line: number; cells: string[] }[] {
  const rows: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;

  for (let i = 0; i < text.length; i++) {
    const char = text[i];

    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (char === '"') {
        quoted = false;
      } else {
        cell += char;
        line += char === '\n' ? 1 : 0;
      }
    } else if (char === '"') {
      quoted = true;
    } else if (char === ',') {
      cells.push(cell);
      cell = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') {
        i++;
      }
      cells.push(cell);
      rows.push({ line: rowLine, cells });
      cells = [];
      cell = '';
      line++;
      rowLine = line;
    } else {
      cell += char;
    }
  }

  if (cell !== '' || cells.length > 0) {
    cells.push(cell);
    rows.push({ line: rowLine, cells });
  }
  return rows;
}
