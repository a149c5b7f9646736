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
  // Not onlyFiles: that would drop a dangling symlink silently, and a file named like an
  // image must be reported. Depth is bounded because a symlink may point back up.
  const entries = await fg('**/*', {
    cwd: root,
    dot: true,
    onlyFiles: false,
    markDirectories: true,
    followSymbolicLinks: true,
    deep: 32,
    ignore: ['**/.*/**'],
  });

  const files = entries.filter((entry) => !entry.endsWith('/')).sort(byDepthThenName);
  const seen = new Set<string>();
  const candidates: Candidate[] = [];

  // A symlink loop (a/loop -> ..) reaches the same file under ever longer paths; keep
  // each real file once, under its shortest path.
  for (const relative of files) {
    const absolute = path.join(root, relative);
    const real = await realPath(absolute);
    if (!seen.has(real)) {
      seen.add(real);
      candidates.push(candidate(absolute, relative, false));
    }
  }

  return candidates.sort((a, b) => a.imageKey.localeCompare(b.imageKey));
}

// A dangling link has no real path of its own; its folder's real path still tells loops apart.
async function realPath(file: string): Promise<string> {
  try {
    return await fs.realpath(file);
  } catch {
    const folder = await fs.realpath(path.dirname(file)).catch(() => path.dirname(file));
    return path.join(folder, path.basename(file));
  }
}

function byDepthThenName(a: string, b: string): number {
  return a.split('/').length - b.split('/').length || a.localeCompare(b);
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
    // An absolute pattern starts with an empty part, which fast-glob refuses to inspect.
    if (part !== '' && fg.isDynamicPattern(part)) {
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
