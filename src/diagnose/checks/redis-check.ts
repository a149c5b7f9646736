import type { Redis } from 'ioredis';

import { ConfigError, errorMessage } from '../../core/errors.js';
import { JobRecords } from '../../queue/job-records.js';
import { BEE_PREFIX } from '../../queue/keys.js';
import { connectRedis } from '../../queue/redis-connection.js';
import { maskUrl } from '../../util/mask.js';
import { percentile, round } from '../../util/stats.js';
import type { CheckSpec } from '../budget.js';
import type { DiagnoseSession } from '../session.js';
import type { FigureValue, Finding } from '../types.js';
import { formatBytes, redisFailure } from './redis-findings.js';

const PINGS = 20;

/**
 * Redis: reachable, ping latency, version, memory, persistence, the queue's counts, the
 * oldest waiting job, and the address actually connected beside the one configured.
 */
export function redisCheck(session: DiagnoseSession): CheckSpec {
  const { config } = session.settings;
  const commands = session.commands;

  return {
    name: 'redis',
    title: 'Redis',
    capMs: 5000,
    onTimeout: (ms) => {
      const failure = redisFailure('timeout', ms, config.redisUrl, commands);
      session.dropRedis(failure.symptom.replace(/\.$/, ''));
      return failure;
    },
    async run(scope) {
      const { figures } = scope;
      figures.configured = maskUrl(config.redisUrl);

      const started = performance.now();
      let redis: Redis;
      try {
        redis = await connectRedis(
          config.redisUrl,
          Math.min(config.redisTimeoutMs, scope.budgetMs),
        );
      } catch (err) {
        figures.reachable = false;
        const connectMs = Math.min(config.redisTimeoutMs, scope.budgetMs);
        const failure = redisFailure(
          kindOf(err),
          connectMs,
          config.redisUrl,
          commands,
          errorMessage(err),
        );
        session.redisProblem = failure.symptom.replace(/\.$/, '');
        // A refused password is configuration: enqueue refuses too, it does not fall back.
        session.redisRefusedPassword = err instanceof ConfigError;
        return [failure];
      }
      session.redis = redis;
      scope.onAbort(() => session.dropRedis('stopped answering during the check'));
      figures.reachable = true;
      figures.connectMs = round(performance.now() - started);
      figures.connectedTo = connectedAddress(redis);

      const pings: number[] = [];
      for (let i = 0; i < PINGS; i++) {
        const start = performance.now();
        await redis.ping();
        pings.push(performance.now() - start);
      }
      figures.pings = PINGS;
      figures.pingP50Ms = round(percentile(pings, 50), 3);
      figures.pingP95Ms = round(percentile(pings, 95), 3);

      const info = parseInfo(await redis.info());
      figures.version = info.redis_version ?? 'unknown';
      figures.role = info.role ?? 'unknown';
      const used = Number(info.used_memory ?? 0);
      const limit = Number(info.maxmemory ?? 0);
      figures.memoryUsed = formatBytes(used);
      figures.memoryLimit = limit > 0 ? formatBytes(limit) : 'none (maxmemory 0)';
      figures.evictionPolicy = info.maxmemory_policy ?? 'unknown';

      const aof = info.aof_enabled === '1';
      const rdb = await rdbSchedule(redis);
      figures.aof = aof ? 'on' : 'off';
      figures.rdb =
        rdb === null ? 'unknown (CONFIG is disabled)' : rdb === '' ? 'off' : `on (save ${rdb})`;

      await queueFigures(redis, config.queue, figures);

      const findings: Finding[] = [];
      if (!aof && rdb === '') {
        findings.push({
          status: 'warn',
          symptom: 'Redis keeps queued jobs in memory only: neither AOF nor RDB snapshots are on.',
          cause:
            'persistence is off (appendonly no, save ""); on a Redis restart every queued job vanishes',
          fix: [
            '# turn on the append-only file now, and keep it in redis.conf',
            commands.redisCli(['CONFIG', 'SET', 'appendonly', 'yes']),
            commands.redisCli(['CONFIG', 'REWRITE']),
          ],
        });
      }
      if (limit > 0 && /^allkeys-/.test(info.maxmemory_policy ?? '')) {
        findings.push({
          status: 'warn',
          symptom: `Redis may evict queued jobs: maxmemory ${formatBytes(limit)} with policy ${info.maxmemory_policy}.`,
          cause:
            'an allkeys-* eviction policy drops any key under memory pressure, queued jobs included',
          fix: [
            commands.redisCli(['CONFIG', 'SET', 'maxmemory-policy', 'noeviction']),
            commands.redisCli(['CONFIG', 'REWRITE']),
          ],
        });
      }
      if (limit > 0 && used / limit > 0.9) {
        findings.push({
          status: 'warn',
          symptom: `Redis memory is ${Math.round((used / limit) * 100)} % full (${formatBytes(used)} of ${formatBytes(limit)}).`,
          cause:
            'the queue or other data fills the configured maxmemory; new jobs will be refused or evicted',
          fix: [
            '# raise the limit (or start more workers to drain the queue)',
            commands.redisCli(['CONFIG', 'SET', 'maxmemory', String(limit * 2)]),
          ],
        });
      }
      return findings;
    },
  };
}

function kindOf(err: unknown): 'refused' | 'unknown host' | 'auth' | 'timeout' | 'other' {
  const cause = (err as { cause?: { code?: string } }).cause;
  const code = cause?.code;
  const message = errorMessage(err);
  if (code === 'ECONNREFUSED') {
    return 'refused';
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return 'unknown host';
  }
  if (/authentication failed|NOAUTH|WRONGPASS/i.test(message)) {
    return 'auth';
  }
  if (/no answer/i.test(message)) {
    return 'timeout';
  }
  return 'other';
}

function connectedAddress(redis: Redis): string {
  const socket = (redis as unknown as { stream?: { remoteAddress?: string; remotePort?: number } })
    .stream;
  if (!socket?.remoteAddress) {
    return 'unknown';
  }
  const host = socket.remoteAddress.includes(':')
    ? `[${socket.remoteAddress}]`
    : socket.remoteAddress;
  return `${host}:${socket.remotePort}`;
}

/** The RDB `save` schedule: '' when off, null when CONFIG cannot be read. */
async function rdbSchedule(redis: Redis): Promise<string | null> {
  try {
    const reply = (await redis.config('GET', 'save')) as string[];
    return reply[1] ?? '';
  } catch {
    return null;
  }
}

async function queueFigures(redis: Redis, queue: string, figures: Record<string, FigureValue>) {
  const bee = (name: string) => `${BEE_PREFIX}:${queue}:${name}`;
  const [waiting, active, delayed, counters, oldestId] = await Promise.all([
    redis.llen(bee('waiting')),
    redis.llen(bee('active')),
    redis.zcard(bee('delayed')),
    new JobRecords(redis, queue).counters(),
    redis.lindex(bee('waiting'), -1),
  ]);
  figures.queue = queue;
  figures.waiting = waiting;
  figures.active = active;
  figures.delayed = delayed;
  figures.indexed = counters.indexed;
  figures.skipped = counters.skipped;
  figures.failed = counters.failed;
  figures.oldestWaitingSeconds = null;

  if (oldestId) {
    const raw = await redis.hget(bee('jobs'), oldestId);
    const enqueuedAt = raw
      ? (JSON.parse(raw) as { data?: { enqueued_at?: number } }).data?.enqueued_at
      : undefined;
    if (typeof enqueuedAt === 'number') {
      figures.oldestWaitingSeconds = round((Date.now() - enqueuedAt) / 1000, 1);
    }
  }
}

/** `INFO` text as a map of field to value. */
export function parseInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) {
      fields[line.slice(0, at)] = line.slice(at + 1).trim();
    }
  }
  return fields;
}
