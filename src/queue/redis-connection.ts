import { Redis } from 'ioredis';

import { RedisUnavailableError } from '../core/errors.js';
import { maskUrl } from '../util/mask.js';
import { withTimeout } from '../util/concurrency.js';

/**
 * Connects to Redis and proves the connection with a PING, giving up after `timeoutMs`.
 *
 * The first connection never retries, so a refused port, an unknown host or a host that
 * accepts TCP and never answers all fail within the timeout. Once connected, the client
 * reconnects by itself, so a Redis restart during a long run is a pause, not a crash.
 */
export async function connectRedis(url: string, timeoutMs: number): Promise<Redis> {
  let connected = false;
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    enableOfflineQueue: true,
    maxRetriesPerRequest: null,
    retryStrategy: (attempt) => (connected ? Math.min(attempt * 250, 2000) : null),
  });

  // ioredis emits connection errors as events too; without a listener Node would treat
  // them as unhandled. The caller sees the failure through the rejected promise below.
  redis.on('error', () => {});

  try {
    await withTimeout(
      redis.connect().then(() => redis.ping()),
      timeoutMs,
      () => new Error(`no answer within ${timeoutMs} ms`),
    );
    connected = true;
    return redis;
  } catch (err) {
    redis.disconnect();
    throw new RedisUnavailableError(
      `Redis is unavailable at ${maskUrl(url)}: ${describeConnectError(err)}.`,
      { cause: err },
    );
  }
}

function describeConnectError(err: unknown): string {
  const code = (err as { code?: string }).code;
  const message = (err as Error).message ?? String(err);

  if (code === 'ECONNREFUSED') {
    return 'connection refused (is redis-server running?)';
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return 'unknown host';
  }
  if (/NOAUTH|WRONGPASS|invalid password/i.test(message)) {
    return 'authentication failed (check the password in the URL)';
  }
  if (/ETIMEDOUT|no answer/i.test(message) || code === 'ETIMEDOUT') {
    return `no answer within the timeout`;
  }
  return message;
}

/** Closes a connection without waiting on a dead server. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') {
    return;
  }

  try {
    await withTimeout(redis.quit(), 1000, () => new Error('quit timed out'));
  } catch {
    redis.disconnect();
  }
}
