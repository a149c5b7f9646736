import fs from 'node:fs/promises';
import path from 'node:path';

import fg from 'fast-glob';

import { IMAGE_EXTENSIONS } from './sniff.js';

/** One file that may be an image, with the identity it gets when no manifest is used. */
export interface Candidate {
  /** Absolute path. */
  imagePath: string;
  /** Path relative to the folder (or glob base) given, with `/` separators. */
  imageKey: string;
  /** The relative path without its extension. */
  productId: string;
  /**
   * True when the user named this file (or a glob matched it). Files found by walking a
   * folder are only candidates if their name or bytes say image; see {@link scanPaths}.
   */
  named: boolean;
}

/** A path argument that matched nothing. */
export interface ScanMiss {
  input: string;
  reason: string;
}

/**
 * Expands the paths given to `idx enqueue`: files as they are, folders recursively, and
 * glob patterns. Folders include hidden files (a macOS `._x.jpg` must be reported, not
 * silently indexed or dropped) but not hidden folders such as `.git`.
 */
export async function scanPaths(
  inputs: string[],
  cwd = process.cwd(),
): Promise<{ candidates: Candidate[]; misses: ScanMiss[] }> {
  const candidates: Candidate[] = [];
  const misses: ScanMiss[] = [];

  for (const input of inputs) {
    const absolute = path.resolve(cwd, input);
    const stat = await fs.stat(absolute).catch(() => null);

    if (stat?.isDirectory()) {
      candidates.push(...(await walkFolder(absolute)));
    } else if (stat) {
      candidates.push(candidate(absolute, path.basename(absolute), true));
    } else if (fg.isDynamicPattern(input)) {
      const found = await expandGlob(input, cwd);
      if (found.length === 0) {
        misses.push({ input, reason: 'the pattern matched no file' });
      }
      candidates.push(...found);
    } else {
      misses.push({ input, reason: 'no such file or folder' });
    }
  }

  return { candidates, misses };
}

async function walkFolder(root: string): Promise<Candidate[]> {
  const entries = await fg('**/*', {
    cwd: root,
    dot: true,
    onlyFiles: true,
    followSymbolicLinks: true,
    ignore: ['**/.*/**'],
  });

  return entries.sort().map((relative) => candidate(path.join(root, relative), relative, false));
}

async function expandGlob(pattern: string, cwd: string): Promise<Candidate[]> {
  const base = path.resolve(cwd, staticBase(pattern));
  const entries = await fg(pattern, { cwd, dot: true, onlyFiles: true, absolute: true });

  return entries
    .sort()
    .map((file) => candidate(path.resolve(file), path.relative(base, file), true));
}

// The folder part of a glob before its first wildcard: `photos/**/*.jpg` gives `photos`.
function staticBase(pattern: string): string {
  const parts = pattern.split('/');
  const fixed: string[] = [];
  for (const part of parts) {
    if (fg.isDynamicPattern(part)) {
      break;
    }
    fixed.push(part);
  }
  return fixed.join('/') || '.';
}

function candidate(imagePath: string, relative: string, named: boolean): Candidate {
  const imageKey = relative.split(path.sep).join('/');
  const extension = path.extname(imageKey);
  const productId = extension ? imageKey.slice(0, -extension.length) : imageKey;
  return { imagePath, imageKey, productId, named };
}

/** True when a file's name says it is meant to be an image. */
export function hasImageExtension(file: string): boolean {
  return IMAGE_EXTENSIONS.has(path.extname(file).toLowerCase());
}
