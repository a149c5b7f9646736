import { BadImageError, errorMessage } from '../core/errors.js';

/** A libvips message pattern and the reason a user is shown instead. */
interface DecodeFailure {
  pattern: RegExp;
  reason: string;
}

/**
 * libvips messages name decoders and internal calls ("VipsJpeg: ...", "vipspng: ...").
 * These say what is wrong with the file. The first match wins.
 */
const FAILURES: DecodeFailure[] = [
  {
    pattern: /exceeds pixel limit/i,
    reason: 'image exceeds the pixel limit',
  },
  {
    pattern: /unsupported image format/i,
    reason: 'not an image (unrecognised content)',
  },
  {
    pattern: /Empty JPEG image|DNL not supported/i,
    reason: 'invalid JPEG header (zero dimensions)',
  },
  {
    pattern: /premature end of JPEG/i,
    reason: 'truncated or corrupt image data (premature end of JPEG)',
  },
  {
    pattern: /libpng read error/i,
    reason: 'corrupt PNG (libpng read error)',
  },
  {
    pattern: /HEVC|bad seek/i,
    reason: 'HEIC/HEVC decoding is not available in this build; convert the file to JPEG',
  },
  {
    pattern: /timeout|timed out/i,
    reason: 'decoding took too long and was stopped',
  },
  {
    pattern: /Input file is missing/i,
    reason: 'file not found',
  },
];

/**
 * Turns a sharp/libvips failure into a BadImageError with a short reason. Unknown messages
 * keep their first line, without file paths, so the reason stays specific.
 */
export function toBadImageError(err: unknown): BadImageError {
  if (err instanceof BadImageError) {
    return err;
  }

  const message = errorMessage(err);
  const known = FAILURES.find((failure) => failure.pattern.test(message));

  if (known !== undefined) {
    return new BadImageError(known.reason, { cause: err });
  }

  return new BadImageError(`cannot decode image (${firstLine(message)})`, { cause: err });
}

/** True when libpng gave up reading pixel data, which a truncated file also causes. */
export function isPngReadError(err: unknown): boolean {
  return /libpng read error/i.test(errorMessage(err));
}

function firstLine(message: string): string {
  const line = message.split('\n')[0] ?? message;

  // libvips prefixes some messages with the input path; the caller already knows it.
  return line.replace(/^\/\S*:\s*/, '').trim();
}
