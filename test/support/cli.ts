/**
 * Runs the built CLI (`bin/idx.js`) as a child process, as a user would. The tests build
 * first (`npm test` runs `npm run build`), so these exercise the shipped code.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { makeTempDir } from './temp-dirs.js';

export const ROOT = path.resolve(__dirname, '../..');
export const SHARED = path.resolve(ROOT, '../shared');
export const PRODUCTS = path.join(SHARED, 'datasets/products');
export const ODD_IMAGES = path.join(SHARED, 'datasets/odd-images');
export const TINY_CLIP = path.join(ROOT, 'test/fixtures/tiny-clip');
const BIN = path.join(ROOT, 'bin/idx.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function tempDir(prefix = 'idx-test-'): string {
  return makeTempDir(prefix);
}

/** Starts `idx <args>`; the caller waits on it or signals it. */
export function startIdx(
  args: string[],
  env: Record<string, string> = {},
): ChildProcess & { result: Promise<CliResult> } {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, FORCE_COLOR: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));

  const result = new Promise<CliResult>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return Object.assign(child, { result });
}

export async function runIdx(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return startIdx(args, env).result;
}

/** Runs `idx <args> --json` and parses its one JSON object. */
export async function runIdxJson<T = Record<string, unknown>>(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; json: T; stderr: string }> {
  const result = await runIdx([...args, '--json'], env);
  try {
    return { code: result.code, json: JSON.parse(result.stdout) as T, stderr: result.stderr };
  } catch {
    throw new Error(
      `idx ${args.join(' ')} printed no JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`,
    );
  }
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
