import { maskUrl } from '../../util/mask.js';
import type { FixCommands } from '../commands.js';
import type { Finding } from '../types.js';

type Kind = 'refused' | 'unknown host' | 'auth' | 'timeout' | 'other';

const FALLBACK_NOTE =
  'meanwhile `idx enqueue` indexes in its own process, one machine only (unless --no-fallback)';

/** The failed Redis check, worded for the way the connection failed. */
export function redisFailure(
  kind: Kind,
  ms: number,
  url: string,
  commands: FixCommands,
  message = '',
): Finding {
  const shown = maskUrl(url);
  const { host, port } = hostPort(url);
  const ping = commands.redisCli(['ping']);
  const elsewhere = [
    '# or, if Redis runs elsewhere, point idx at it',
    commands.diagnose(['--redis-url', 'redis://HOST:6379']),
  ];

  switch (kind) {
    case 'refused':
      return {
        status: 'fail',
        symptom: `Redis at ${shown} refuses connections.`,
        cause: `no redis-server listens on ${host}:${port} (not started, stopped, or on another port); ${FALLBACK_NOTE}`,
        fix: [
          `# start Redis on ${host} (systemd: sudo systemctl start redis-server)`,
          `redis-server --port ${port} --appendonly yes --daemonize yes`,
          ping,
          ...elsewhere,
        ],
      };
    case 'unknown host':
      return {
        status: 'fail',
        symptom: `The Redis host "${host}" does not resolve.`,
        cause: `the name in ${shown} is misspelt or unknown to this machine's DNS; ${FALLBACK_NOTE}`,
        fix: [`getent hosts ${host}`, ...elsewhere],
      };
    case 'auth':
      return {
        status: 'fail',
        symptom: `Redis at ${shown} refuses the password.`,
        cause: 'the password in --redis-url / REDIS_URL is wrong or missing (Redis requires AUTH)',
        fix: [
          '# give the password in the URL',
          commands.diagnose(['--redis-url', `'redis://:PASSWORD@${host}:${port}'`]),
        ],
      };
    case 'timeout':
      return {
        status: 'fail',
        symptom: `Redis at ${shown} accepts the connection but does not answer within ${ms} ms.`,
        cause: `something that is not Redis listens on ${host}:${port}, a firewall drops the traffic, or Redis is blocked (a long command, swapping); ${FALLBACK_NOTE}`,
        fix: [
          ping,
          `# on ${host}: what listens on the port?`,
          `ss -ltnp 'sport = :${port}'`,
          '# on a slow link, allow longer',
          commands.diagnose(['--redis-timeout', '10']),
        ],
      };
    default:
      return {
        status: 'fail',
        symptom: `Redis at ${shown} is unavailable: ${message}`,
        cause: `the connection failed (${message}); ${FALLBACK_NOTE}`,
        fix: [ping, ...elsewhere],
      };
  }
}

function hostPort(url: string): { host: string; port: string } {
  try {
    const parsed = new URL(url);
    return { host: parsed.hostname || '127.0.0.1', port: parsed.port || '6379' };
  } catch {
    return { host: '127.0.0.1', port: '6379' };
  }
}

/** Bytes for people: 1.5 MiB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
