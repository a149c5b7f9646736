import fs from 'node:fs';
import path from 'node:path';

import Database from 'better-sqlite3';

import { ConfigError, StoreError, TransientError } from '../core/errors.js';
import type { PointPayload, SearchHit, StoredPoint } from '../core/types.js';
import { topHits } from './top-hits.js';
import { ensureCollectionWith } from './compatibility.js';
import type {
  CollectionInfo,
  CollectionSpec,
  PointDigest,
  SearchOptions,
  VectorStore,
} from './vector-store.js';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS collections (
    name TEXT PRIMARY KEY,
    dimension INTEGER NOT NULL,
    distance TEXT NOT NULL,
    model TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS points (
    collection TEXT NOT NULL,
    id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    image_path TEXT NOT NULL,
    image_key TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    model TEXT NOT NULL,
    indexed_at TEXT NOT NULL,
    extra TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (collection, id)
  );
  CREATE INDEX IF NOT EXISTS points_by_category ON points (collection, category);
  CREATE INDEX IF NOT EXISTS points_by_product ON points (collection, product_id);
`;

const UPSERT = `
  INSERT INTO points (collection, id, product_id, name, category, image_path, image_key,
    sha256, model, indexed_at, extra, vector)
  VALUES (@collection, @id, @productId, @name, @category, @imagePath, @imageKey,
    @sha256, @model, @indexedAt, @extra, @vector)
  ON CONFLICT (collection, id) DO UPDATE SET
    product_id = excluded.product_id, name = excluded.name, category = excluded.category,
    image_path = excluded.image_path, image_key = excluded.image_key,
    sha256 = excluded.sha256, model = excluded.model, indexed_at = excluded.indexed_at,
    extra = excluded.extra, vector = excluded.vector
`;

/** The embedded store's file name inside the data folder. */
export const SQLITE_FILE = 'vectors.sqlite';

interface PointRow {
  id: string;
  product_id: string;
  name: string;
  category: string;
  image_path: string;
  image_key: string;
  sha256: string;
  model: string;
  indexed_at: string;
  extra: string;
  vector?: Buffer;
}

/**
 * The embedded store: vectors and payloads in one SQLite file, searched by brute force.
 *
 * Several worker processes write at once. WAL lets readers run beside the writer, the busy
 * timeout makes writers queue instead of failing, and each batch is one short
 * `BEGIN IMMEDIATE` transaction so that a writer takes the lock before reading anything.
 * Comfortable up to roughly 150-200k points (see README); beyond that, use Qdrant.
 */
export class SqliteStore implements VectorStore {
  readonly backend = 'sqlite';
  readonly location: string;
  private readonly db: Database.Database;
  private readonly upsertBatch: (rows: Record<string, unknown>[]) => void;

  constructor(dataDir: string) {
    makeFolder(dataDir);
    this.location = path.join(dataDir, SQLITE_FILE);
    this.db = openDatabase(this.location);

    const upsert = this.db.prepare(UPSERT);
    const batch = this.db.transaction((rows: Record<string, unknown>[]) => {
      for (const row of rows) {
        upsert.run(row);
      }
    });
    this.upsertBatch = (rows) => batch.immediate(rows);
  }

  async ensureCollection(spec: CollectionSpec, opts: { recreate?: boolean } = {}): Promise<void> {
    await ensureCollectionWith(this, spec, opts, async () => {
      this.run(() =>
        this.db
          .prepare(
            `INSERT OR IGNORE INTO collections (name, dimension, distance, model, created_at)
             VALUES (?, ?, 'Cosine', ?, ?)`,
          )
          .run(spec.name, spec.dimension, spec.model, new Date().toISOString()),
      );
    });
  }

  async describeCollection(name: string): Promise<CollectionInfo | null> {
    const row = this.run(
      () =>
        this.db.prepare('SELECT * FROM collections WHERE name = ?').get(name) as
          { name: string; dimension: number; distance: string; model: string } | undefined,
    );
    if (!row) {
      return null;
    }

    return {
      name: row.name,
      dimension: row.dimension,
      distance: row.distance,
      model: row.model,
      points: await this.countPoints(name),
    };
  }

  async upsertPoints(collection: string, points: StoredPoint[]): Promise<void> {
    if (points.length === 0) {
      return;
    }

    // Only the dimension: describeCollection would count every point on each batch.
    const info = this.run(
      () =>
        this.db.prepare('SELECT dimension FROM collections WHERE name = ?').get(collection) as
          { dimension: number } | undefined,
    );
    if (!info) {
      throw new StoreError(`Collection "${collection}" does not exist in ${this.location}.`);
    }

    const rows = points.map((point) => {
      if (point.vector.length !== info.dimension) {
        throw new StoreError(
          `Vector of length ${point.vector.length} does not fit collection "${collection}" ` +
            `(dimension ${info.dimension}).`,
        );
      }
      return toRow(collection, point);
    });

    this.run(() => this.upsertBatch(rows));
  }

  async getDigests(collection: string, ids: string[]): Promise<Map<string, PointDigest>> {
    const digests = new Map<string, PointDigest>();
    for (const row of this.selectByIds(collection, ids, 'id, sha256, model')) {
      digests.set(row.id, { id: row.id, sha256: row.sha256, model: row.model });
    }
    return digests;
  }

  async getPoints(collection: string, ids: string[]): Promise<StoredPoint[]> {
    return this.selectByIds(collection, ids, '*').map((row) => ({
      id: row.id,
      vector: toVector(row.vector!),
      payload: toPayload(row),
    }));
  }

  async deletePoints(collection: string, ids: string[]): Promise<void> {
    const remove = this.db.prepare('DELETE FROM points WHERE collection = ? AND id = ?');
    const batch = this.db.transaction((list: string[]) => {
      for (const id of list) {
        remove.run(collection, id);
      }
    });
    this.run(() => batch.immediate(ids));
  }

  async countPoints(collection: string): Promise<number> {
    const row = this.run(
      () =>
        this.db
          .prepare('SELECT count(*) AS n FROM points WHERE collection = ?')
          .get(collection) as {
          n: number;
        },
    );
    return row.n;
  }

  async search(
    collection: string,
    vector: Float32Array,
    opts: SearchOptions,
  ): Promise<SearchHit[]> {
    const filter = opts.category === undefined ? '' : 'AND category = ?';
    const params = opts.category === undefined ? [collection] : [collection, opts.category];
    const statement = this.db
      .prepare(`SELECT rowid, vector FROM points WHERE collection = ? ${filter}`)
      .raw(true);

    // Copy every vector into one contiguous matrix first: scanning a Float32Array is an
    // order of magnitude faster than touching a Buffer per row inside the loop.
    const rows = this.run(() => statement.all(...params) as [number, Buffer][]);
    const dimension = vector.length;
    const matrix = new Float32Array(rows.length * dimension);
    const bytes = new Uint8Array(matrix.buffer);
    rows.forEach(([, blob], index) => bytes.set(blob, index * dimension * 4));

    const best = topHits(matrix, dimension, vector, opts.limit);
    if (best.length === 0) {
      return [];
    }

    const rowids = best.map((hit) => rows[hit.index][0]);
    const payloads = this.db
      .prepare(`SELECT rowid, * FROM points WHERE rowid IN (${rowids.map(() => '?').join(',')})`)
      .all(...rowids) as (PointRow & { rowid: number })[];
    const byRowid = new Map(payloads.map((row) => [row.rowid, row]));

    return best.map((hit) => {
      const row = byRowid.get(rows[hit.index][0])!;
      return { id: row.id, score: hit.score, payload: toPayload(row) };
    });
  }

  async deleteCollection(name: string): Promise<boolean> {
    const remove = this.db.transaction(() => {
      this.db.prepare('DELETE FROM points WHERE collection = ?').run(name);
      return this.db.prepare('DELETE FROM collections WHERE name = ?').run(name).changes > 0;
    });
    return this.run(() => remove.immediate());
  }

  async close(): Promise<void> {
    if (this.db.open) {
      // Keep the WAL from growing across runs; ignore "busy" when another process reads.
      try {
        this.db.pragma('wal_checkpoint(PASSIVE)');
      } finally {
        this.db.close();
      }
    }
  }

  private selectByIds(collection: string, ids: string[], columns: string): PointRow[] {
    const rows: PointRow[] = [];
    // SQLite limits bound parameters per statement, so look ids up in slices.
    for (let start = 0; start < ids.length; start += 500) {
      const slice = ids.slice(start, start + 500);
      const sql = `SELECT ${columns} FROM points WHERE collection = ? AND id IN (${slice
        .map(() => '?')
        .join(',')})`;
      rows.push(...this.run(() => this.db.prepare(sql).all(collection, ...slice) as PointRow[]));
    }
    return rows;
  }

  private run<T>(work: () => T): T {
    try {
      return work();
    } catch (err) {
      throw toStoreError(err, this.location);
    }
  }
}

/**
 * Creates a folder and its missing parents, private to the user, one level at a time.
 * Node 20's recursive mkdirSync spins forever on some paths (e.g. under /proc) instead of
 * failing, and a synchronous spin cannot be stopped by any timeout.
 */
function makeFolder(folder: string): void {
  if (fs.existsSync(folder)) {
    return;
  }

  const parent = path.dirname(folder);
  if (parent !== folder) {
    makeFolder(parent);
  }
  try {
    fs.mkdirSync(folder, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new StoreError(
        `Cannot create the embedded store folder ${folder}: ${(err as Error).message}. Pass a writable --data-dir.`,
        { cause: err },
      );
    }
  }
}

function openDatabase(file: string): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(file, { timeout: 15_000 });
  } catch (err) {
    throw new StoreError(
      `Cannot open the embedded store at ${file}: ${(err as Error).message}. ` +
        'Check that the folder is writable or pass another --data-dir.',
      { cause: err },
    );
  }

  // 16 KiB pages hold several 2 KiB vectors each; the default 4 KiB wastes about 45 %.
  // page_size only takes effect before the first table exists, so it goes first.
  db.pragma('page_size = 16384');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA);
  return db;
}

function toRow(collection: string, point: StoredPoint): Record<string, unknown> {
  const { payload, vector } = point;
  return {
    collection,
    id: point.id,
    productId: payload.productId,
    name: payload.name,
    category: payload.category,
    imagePath: payload.imagePath,
    imageKey: payload.imageKey,
    sha256: payload.sha256,
    model: payload.model,
    indexedAt: payload.indexedAt,
    extra: JSON.stringify(payload.extra),
    vector: Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength),
  };
}

function toPayload(row: PointRow): PointPayload {
  return {
    productId: row.product_id,
    name: row.name,
    category: row.category,
    imagePath: row.image_path,
    imageKey: row.image_key,
    sha256: row.sha256,
    model: row.model,
    indexedAt: row.indexed_at,
    extra: JSON.parse(row.extra) as Record<string, string>,
  };
}

function toVector(blob: Buffer): Float32Array {
  const copy = new Uint8Array(blob);
  return new Float32Array(copy.buffer);
}

function toStoreError(err: unknown, location: string): Error {
  if (err instanceof StoreError || err instanceof ConfigError) {
    return err;
  }

  const code = (err as { code?: string }).code ?? '';
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new TransientError(
      `The embedded store at ${location} stayed locked by another process; will retry.`,
      { cause: err },
    );
  }

  return new StoreError(`Embedded store error at ${location}: ${(err as Error).message}`, {
    cause: err,
  });
}
