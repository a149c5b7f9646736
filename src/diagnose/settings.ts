import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { type ConfigFlags, type IdxConfig, resolveConfig } from '../config/config.js';
import { ConfigError } from '../core/errors.js';

/** The bundled probe image (a CC0 photo, see assets/ATTRIBUTION.md). */
export const BUNDLED_PROBE = fileURLToPath(new URL('../../assets/probe.jpg', import.meta.url));

/** Default bound on the whole run, seconds. */
export const DEFAULT_TIMEOUT_SECONDS = 30;

export interface DiagnoseFlags extends ConfigFlags {
  host?: string;
  image?: string;
  timeout?: string;
  report?: string;
  json?: boolean;
  verbose?: boolean;
}

/** Everything one diagnose run reads, checked up front so bad arguments exit 2. */
export interface DiagnoseSettings {
  config: IdxConfig;
  /** The whole run ends within this many ms. */
  timeoutMs: number;
  /** Absolute path of the probe image. */
  image: string;
  imageIsBundled: boolean;
  /** Absolute path of the Markdown report to write, if asked. */
  reportFile?: string;
  /** Passwords and keys to mask in everything printed or written. */
  secrets: string[];
}

/**
 * Flags over environment over defaults, as for every command, plus `--host H`: Redis at
 * H:6379 and Qdrant at H:6333 unless `--redis-url` / `--qdrant-url` say otherwise. The
 * host beats the REDIS_URL / QDRANT_URL environment, because a flag beats the environment.
 */
export function resolveDiagnoseSettings(
  flags: DiagnoseFlags,
  env: Record<string, string | undefined> = process.env,
): DiagnoseSettings {
  const merged: ConfigFlags = { ...flags };
  if (flags.host !== undefined) {
    const host = hostForUrl(flags.host);
    merged.redisUrl ??= `redis://${host}:6379`;
    merged.qdrantUrl ??= `http://${host}:6333`;
  }
  const config = resolveConfig(merged, env);

  const timeoutSeconds =
    flags.timeout === undefined ? DEFAULT_TIMEOUT_SECONDS : Number(flags.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 3600) {
    throw new ConfigError(
      `--timeout must be a number of seconds from 1 to 3600, not "${flags.timeout}".`,
    );
  }

  const image = flags.image === undefined ? BUNDLED_PROBE : path.resolve(flags.image);
  if (!isFile(image)) {
    throw new ConfigError(
      flags.image === undefined
        ? `The bundled probe image is missing at ${image}; reinstall idx or pass --image <file>.`
        : `--image ${flags.image}: no such file. Pass a JPEG, PNG or WebP product photo.`,
    );
  }

  let reportFile: string | undefined;
  if (flags.report !== undefined) {
    reportFile = path.resolve(flags.report);
    if (!isDirectory(path.dirname(reportFile))) {
      throw new ConfigError(
        `--report ${flags.report}: the folder ${path.dirname(reportFile)} does not exist.`,
      );
    }
  }

  return {
    config,
    timeoutMs: Math.round(timeoutSeconds * 1000),
    image,
    imageIsBundled: flags.image === undefined,
    reportFile,
    secrets: secretsOf(config),
  };
}

/** A host name or IP address as it goes into a URL; IPv6 gets its brackets. */
function hostForUrl(host: string): string {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (net.isIPv6(bare)) {
    return `[${bare}]`;
  }
  if (
    net.isIPv4(bare) ||
    /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/.test(
      bare,
    )
  ) {
    return bare;
  }
  throw new ConfigError(
    `--host "${host}" is not a host name or IP address (give it without scheme or port, e.g. --host 10.0.0.5).`,
  );
}

function secretsOf(config: IdxConfig): string[] {
  const secrets: string[] = [];
  for (const url of [config.redisUrl, config.qdrantUrl]) {
    if (!url) {
      continue;
    }
    try {
      const parsed = new URL(url);
      if (parsed.password) {
        secrets.push(parsed.password, decodeURIComponent(parsed.password));
      }
    } catch {
      // resolveConfig has already rejected URLs that do not parse.
    }
  }
  if (config.qdrantApiKey) {
    secrets.push(config.qdrantApiKey);
  }
  return [...new Set(secrets)];
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function isDirectory(folder: string): boolean {
  try {
    return fs.statSync(folder).isDirectory();
  } catch {
    return false;
  }
}
