import { Redis } from 'ioredis';

import { ConfigError, RedisUnavailableError } from '../core/errors.js';
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
    // ioredis's own connect timer outlives a refused connection and holds the process
    // open for its full length; withTimeout below bounds the connect instead.
    connectTimeout: 0,
    // Likewise its wait for a closed socket to say "close", which a refused one never does.
    disconnectTimeout: 200,
    enableOfflineQueue: true,
    maxRetriesPerRequest: null,
    retryStrategy: (attempt) => (connected ? Math.min(attempt * 250, 2000) : null),
  });

  // ioredis reports the cause (ECONNREFUSED, ENOTFOUND) only as an event and rejects
  // connect() with a generic "Connection is closed", so keep the event's error.
  let cause: unknown;
  redis.on('error', (err) => (cause ??= err));

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
    const reason = describeConnectError(cause ?? err);
    if (reason.startsWith('authentication failed')) {
      // Falling back to synchronous indexing would hide a wrong password; refuse instead.
      throw new ConfigError(`Redis at ${maskUrl(url)} refused the password: ${reason}.`, {
        cause: cause ?? err,
      });
    }
    throw new RedisUnavailableError(
      `Redis is unavailable at ${maskUrl(url)}: ${describeConnectError(cause ?? err)}.`,
      { cause: cause ?? err },
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
  return message.replace(/\.$/, '');
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
