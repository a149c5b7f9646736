import Database from 'better-sqlite3';

import { modelReference } from '../../config/model-reference.js';
import { errorMessage } from '../../core/errors.js';
import { SqliteStore } from '../../store/sqlite-store.js';
import type { CollectionInfo } from '../../store/vector-store.js';
import type { CheckSpec } from '../budget.js';
import type { DiagnoseSession } from '../session.js';
import type { FigureValue, Finding } from '../types.js';
import { qdrantStoreCheck } from './qdrant-check.js';

/**
 * The store: reachable, its version, the collection, and whether the collection's
 * dimension, distance and model match the model's. Qdrant gets its own, longer check;
 * without a Qdrant URL this checks the embedded SQLite store under --data-dir.
 */
export function storeCheck(session: DiagnoseSession): CheckSpec {
  return session.settings.config.qdrantUrl ? qdrantStoreCheck(session) : sqliteStoreCheck(session);
}

function sqliteStoreCheck(session: DiagnoseSession): CheckSpec {
  const { config } = session.settings;
  const commands = session.commands;

  return {
    name: 'store',
    title: 'Store (embedded SQLite)',
    capMs: 5000,
    onTimeout: (ms) => ({
      status: 'fail',
      symptom: `The embedded store at ${config.dataDir} did not answer within ${ms} ms.`,
      cause:
        'another process holds a long write lock on the SQLite file, or the disk is very slow (a network file system?)',
      fix: [
        '# keep the data folder on a local disk; for many machines use Qdrant',
        commands.diagnose(['--data-dir', '/local/disk/idx-data']),
      ],
    }),
    async run(scope) {
      const { figures } = scope;
      figures.backend = 'sqlite';
      figures.location = config.dataDir;
      figures.version = sqliteVersion();

      try {
        session.store = new SqliteStore(config.dataDir);
      } catch (err) {
        session.storeProblem = errorMessage(err);
        figures.reachable = false;
        return [
          unreachable(
            config.dataDir,
            err,
            commands.diagnose(['--data-dir', '/path/to/writable/folder']),
          ),
        ];
      }
      figures.reachable = true;
      figures.location = session.store.location;

      const info = await session.store.describeCollection(config.collection);
      session.collection = info;
      return collectionFindings(session, info, figures);
    },
  };
}

/**
 * Figures and findings about the collection, the same for both stores: a missing
 * collection is fine (the first indexed image creates it), a mismatched one is not.
 */
export function collectionFindings(
  session: DiagnoseSession,
  info: CollectionInfo | null,
  figures: Record<string, FigureValue>,
): Finding[] {
  const { config } = session.settings;
  const commands = session.commands;
  const expected = session.embedder?.info.dimension;
  const model = modelReference(config.model);

  figures.collection = config.collection;
  figures.collectionExists = info !== null;
  figures.expectedDimension = expected ?? 'unknown (the model did not load)';
  if (!info) {
    figures.points = 0;
    figures.note = 'the collection does not exist yet; the first indexed image creates it';
    return [];
  }
  figures.dimension = info.dimension;
  figures.distance = info.distance;
  figures.collectionModel = info.model ?? 'not recorded';
  figures.points = info.points;

  const findings: Finding[] = [];
  const rebuild = [
    '# index this model into a collection of its own',
    commands.diagnose(['--collection', `${config.collection}-${expected ?? 'new'}`]),
    commands.enqueue('/path/to/images', [
      '--collection',
      `${config.collection}-${expected ?? 'new'}`,
    ]),
  ];
  if (expected !== undefined && info.dimension !== expected) {
    findings.push({
      status: 'fail',
      symptom: `Collection "${config.collection}" holds ${info.dimension}-dimensional vectors, but model ${config.model} makes ${expected}-dimensional ones.`,
      cause:
        'the collection was created for another model; every job for it fails with a dimension mismatch',
      fix: [
        ...rebuild,
        ...(info.model && info.model !== model
          ? [
              '# or go back to the model it was built with',
              commands.diagnose(['--model', info.model]),
            ]
          : []),
      ],
    });
  }
  if (info.distance.toLowerCase() !== 'cosine') {
    findings.push({
      status: 'fail',
      symptom: `Collection "${config.collection}" uses ${info.distance} distance; idx needs Cosine.`,
      cause: 'the collection was created by another tool or by hand',
      fix: rebuild,
    });
  }
  if (
    info.model &&
    info.model !== model &&
    (expected === undefined || info.dimension === expected)
  ) {
    findings.push({
      status: 'fail',
      symptom: `Collection "${config.collection}" holds embeddings of model ${info.model}, not ${config.model}.`,
      cause: 'one collection never mixes models; workers refuse jobs for another model',
      fix: [
        ...rebuild,
        '# or go back to the model it was built with',
        commands.diagnose(['--model', info.model]),
      ],
    });
  }
  return findings;
}

function unreachable(dataDir: string, err: unknown, retry: string): Finding {
  // The system's code (ENOTDIR, EACCES) is on the cause when idx wrapped the error.
  const code =
    (err as { cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code;
  const why: Record<string, string> = {
    ENOTDIR: 'part of the path is a regular file, not a folder',
    EEXIST: 'part of the path is a regular file, not a folder',
    EACCES: 'this user may not create or write files there',
    EPERM: 'this user may not create or write files there',
    EROFS: 'the file system is read-only',
    ENOSPC: 'the disk is full',
  };
  return {
    status: 'fail',
    symptom: `The embedded store at ${dataDir} cannot be opened: ${errorMessage(err)}`,
    cause:
      (code && why[code]) ??
      'the data folder cannot be created or the SQLite file cannot be opened',
    fix: ['# pass a folder this user can write (created if missing)', retry],
  };
}

function sqliteVersion(): string {
  try {
    const db = new Database(':memory:');
    try {
      return `SQLite ${(db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v}`;
    } finally {
      db.close();
    }
  } catch {
    return 'unknown';
  }
}
