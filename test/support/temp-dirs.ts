/**
 * Temporary folders made by tests, removed after each test file (see vitest.config.ts), so
 * that a test run leaves nothing under the OS temp folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll } from 'vitest';

const made: string[] = [];

/** A new folder under the OS temp folder, removed when the test file ends. */
export function makeTempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Registered by vitest's setupFiles: runs after the last test of every file. */
export function removeTempDirsAfterEachFile(): void {
  afterAll(() => {
    for (const dir of made.splice(0)) {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
