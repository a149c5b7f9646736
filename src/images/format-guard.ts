import { open } from 'node:fs/promises';

import type { Metadata } from 'sharp';

import { BadImageError } from '../core/errors.js';
import { SNIFF_BYTES, sniffImage } from './sniff.js';

/** The last 12 bytes of every complete PNG: the empty IEND chunk and its CRC. */
const PNG_TRAILER = Buffer.from('0000000049454e44ae426082', 'hex');

const HEIC_REASON = 'HEIC/HEVC decoding is not available in this build; convert the file to JPEG';

/** The rasters idx decodes; anything else sharp may know is refused by name. */
const SUPPORTED_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif']);

/**
 * Looks at the first bytes before libvips does, with the same sniffer enqueue uses, so a
 * file reaches a decoder only if it starts like a raster idx indexes. This keeps out what
 * must never be decoded (SVG, whose rendering may read the files it references) and gives
 * the same reasons enqueue gives: empty file, resource fork, BMP, JPEG 2000, HEIC, text.
 */
export async function guardInput(input: string | Buffer): Promise<void> {
  const head = typeof input === 'string' ? await readHead(input) : input.subarray(0, SNIFF_BYTES);
  const sniffed = sniffImage(head);

  if (sniffed.kind === 'rejected') {
    throw new BadImageError(sniffed.reason);
  }
}

/**
 * Checks what libvips found against what idx decodes, for inputs that passed the sniffer by
 * their first bytes. HEIC is refused here too: this sharp build reads its header but has
 * no HEVC decoder, and would fail later with libheif's cryptic "bad seek".
 */
export function checkFormat(metadata: Metadata): void {
  if (!SUPPORTED_FORMATS.has(metadata.format)) {
    throw new BadImageError(`unsupported image format (${metadata.format})`);
  }

  if (metadata.format === 'heif' && metadata.compression !== 'av1') {
    throw new BadImageError(HEIC_REASON);
  }
}

/** True when the input ends with a PNG IEND chunk, i.e. was not cut short. */
export async function hasPngTrailer(input: string | Buffer): Promise<boolean> {
  const tail = typeof input === 'string' ? await readTail(input, PNG_TRAILER.length) : input;

  return tail.subarray(tail.length - PNG_TRAILER.length).equals(PNG_TRAILER);
}

async function readHead(path: string): Promise<Buffer> {
  const file = await openForReading(path);

  try {
    const head = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await file.read(head, 0, SNIFF_BYTES, 0);

    return head.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

async function readTail(path: string, length: number): Promise<Buffer> {
  const file = await openForReading(path);

  try {
    const { size } = await file.stat();
    const tail = Buffer.alloc(Math.min(length, size));
    await file.read(tail, 0, tail.length, size - tail.length);

    return tail;
  } finally {
    await file.close();
  }
}

async function openForReading(path: string) {
  try {
    const file = await open(path, 'r');
    const stats = await file.stat();

    if (!stats.isFile()) {
      await file.close();
      throw new BadImageError('not a regular file');
    }

    return file;
  } catch (err) {
    throw fileError(err);
  }
}

function fileError(err: unknown): unknown {
  const code = (err as NodeJS.ErrnoException).code;

  if (code === 'ENOENT') {
    return new BadImageError('file not found', { cause: err });
  }

  if (code === 'EACCES' || code === 'EPERM') {
    return new BadImageError('permission denied reading the file', { cause: err });
  }

  if (code === 'EISDIR') {
    return new BadImageError('not a regular file', { cause: err });
  }

  return err;
}
