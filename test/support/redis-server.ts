/**
 * A real redis-server for tests, on a free port in a temp folder, started from PATH.
 * Tests never share the machine's Redis on 6379, and fault tests can stop and restart it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';

import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { makeTempDir } from './temp-dirs.js';

export interface TestRedis {
  url: string;
  port: number;
  /** Stops the server (SIGKILL: nothing persisted). */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startTestRedis(extraArgs: string[] = []): Promise<TestRedis> {
  const port = await freePort();
  const dir = makeTempDir('idx-redis-');
  let child: ChildProcess | undefined;

  const start = async () => {
    child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        ...extraArgs,
      ],
      { stdio: 'ignore' },
    );
    await waitForPort(port, 5000);
  };

  const stop = async () => {
    if (!child || child.exitCode !== null) {
      return;
    }
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };

  await start();
  return { url: `redis://127.0.0.1:${port}`, port, start, stop };
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redis-server did not open port ${port} within ${timeoutMs} ms`);
}

/** The server and a connected client that {@link useTestRedis} provides to a test file. */
export interface TestRedisHandle {
  server: TestRedis;
  client: Redis;
  url: string;
}

/**
 * A redis-server for a whole test file, with a connected client: started before its first
 * test, stopped after its last. Read the fields inside tests, not at load time.
 */
export function useTestRedis(extraArgs: string[] = []): TestRedisHandle {
  const handle = {} as TestRedisHandle;

  beforeAll(async () => {
    handle.server = await startTestRedis(extraArgs);
    handle.url = handle.server.url;
    handle.client = new Redis(handle.url);
  });

  afterAll(async () => {
    handle.client?.disconnect();
    await handle.server?.stop();
  });

  return handle;
}
