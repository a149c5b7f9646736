/**
 * The errors idx raises on purpose. Each has a stable `code` that scripts can match and an
 * exit code for the CLI; only the CLI entry point turns them into a process exit.
 *
 * Errors are also recognised by `code` (see {@link isIdxError}) because they cross process
 * boundaries: a worker records a failure reason in Redis and `idx status` shows it later.
 */
export class IdxError extends Error {
  /** A stable, machine-readable identifier, e.g. `CONFIG_INVALID`. */
  readonly code: string;

  /** The process exit code the CLI uses when this error ends a command. */
  readonly exitCode: number;

  constructor(message: string, opts: { code?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = new.target.name;
    this.code = opts.code ?? 'IDX_ERROR';
    this.exitCode = opts.exitCode ?? 1;
  }
}

/** A setting is missing or invalid. The message names the setting and the fix. Exit code 2. */
export class ConfigError extends IdxError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, { code: 'CONFIG_INVALID', exitCode: 2, ...opts });
  }
}

/**
 * A fault that may go away by itself: a server briefly unreachable, a 5xx, a rate limit.
 * The worker retries the job with backoff.
 */
export class TransientError extends IdxError {
  /** How long the server asked us to wait before retrying, when it said so. */
  readonly retryAfterMs?: number;

  constructor(
    message: string,
    opts: { cause?: unknown; retryAfterMs?: number; code?: string; exitCode?: number } = {},
  ) {
    super(message, {
      code: opts.code ?? 'TRANSIENT',
      exitCode: opts.exitCode ?? 1,
      cause: opts.cause,
    });
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** A fault that retrying cannot fix: a broken image, a rejected request. Never retried. */
export class PermanentError extends IdxError {
  constructor(message: string, opts: { cause?: unknown; code?: string } = {}) {
    super(message, { code: opts.code ?? 'PERMANENT', exitCode: 1, cause: opts.cause });
  }
}

/** An image file that cannot be indexed (missing, empty, not an image, corrupt, too big). */
export class BadImageError extends PermanentError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, { code: 'BAD_IMAGE', ...opts });
  }
}

/** Redis could not be reached within the connect timeout. */
export class RedisUnavailableError extends IdxError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, { code: 'REDIS_UNAVAILABLE', exitCode: 3, ...opts });
  }
}

/** The vector store refused, or could not be reached after retries. */
export class StoreError extends IdxError {
  constructor(message: string, opts: { cause?: unknown; code?: string } = {}) {
    super(message, { code: opts.code ?? 'STORE_ERROR', exitCode: 4, cause: opts.cause });
  }
}

/** The model could not be found or loaded. */
export class ModelError extends IdxError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, { code: 'MODEL_UNAVAILABLE', exitCode: 5, ...opts });
  }
}

/** True for an idx error, even one that was serialised and rebuilt in another process. */
export function isIdxError(err: unknown): err is IdxError {
  return (
    err instanceof IdxError ||
    (err instanceof Error &&
      typeof (err as IdxError).code === 'string' &&
      (err as IdxError).code.length > 0 &&
      'exitCode' in err)
  );
}

/** True when retrying may succeed. */
export function isTransient(err: unknown): boolean {
  return (
    err instanceof TransientError ||
    (err instanceof Error && (err as IdxError).code === 'TRANSIENT')
  );
}

/** The message of anything thrown, for logs and failure reasons. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
