import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';

import { BadImageError } from '../core/errors.js';
import { SNIFF_BYTES, type SniffResult, sniffImage } from './sniff.js';

/** What enqueue learns about a file without decoding it. */
export interface FileFacts {
  size: number;
  mtimeMs: number;
  sha256: string;
  sniff: SniffResult;
}

/**
 * Reads a file once: its size, mtime, sha256 and what its first bytes say it is.
 * Throws BadImageError for a missing, unreadable or non-regular file.
 */
export async function inspectFile(file: string): Promise<FileFacts> {
  const bytes = await readImageFile(file);
  const stat = await fs.stat(file);

  return {
    size: bytes.length,
    mtimeMs: Math.round(stat.mtimeMs),
    sha256: sha256Of(bytes),
    sniff: sniffImage(bytes.subarray(0, SNIFF_BYTES)),
  };
}

/** The file's bytes, or a BadImageError that says why they cannot be read. */
export async function readImageFile(file: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch (err) {
    throw new BadImageError(readFailure(err as NodeJS.ErrnoException), { cause: err });
  }
}

export function sha256Of(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function readFailure(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOENT':
      return 'file not found';
    case 'EACCES':
    case 'EPERM':
      return 'file is not readable (permission denied)';
    case 'EISDIR':
      return 'is a folder, not a file';
    default:
      return `cannot read file (${err.code ?? err.message})`;
  }
}
