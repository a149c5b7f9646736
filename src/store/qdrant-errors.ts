import {
  QdrantClientResourceExhaustedError,
  QdrantClientTimeoutError,
} from '@qdrant/js-client-rest';

import { ConfigError, PermanentError, StoreError, TransientError } from '../core/errors.js';

/** The CLI's exit code for a store that failed or cannot be reached. */
const STORE_EXIT = 4;

/** The fields of the client's ApiError (not exported by the client, so duck-typed). */
interface ApiErrorLike {
  status: number;
  data?: unknown;
  headers?: { get(name: string): string | null };
}

function isApiError(err: unknown): err is ApiErrorLike {
  return (
    typeof err === 'object' && err !== null && typeof (err as ApiErrorLike).status === 'number'
  );
}

/**
 * Turns whatever the Qdrant client threw into an idx error, at the HTTP edge, so callers
 * never parse strings: transient (retry), permanent (fail the job with Qdrant's own
 * message) or configuration (wrong key, read-only key).
 */
export function classifyQdrantError(err: unknown, location: string, timeoutMs: number): Error {
  if (err instanceof TransientError || err instanceof StoreError || err instanceof ConfigError) {
    return err;
  }

  if (err instanceof QdrantClientTimeoutError) {
    return new TransientError(
      `Qdrant at ${location} did not answer within ${timeoutMs / 1000} s.`,
      { cause: err, code: 'QDRANT_TIMEOUT', exitCode: STORE_EXIT },
    );
  }

  if (err instanceof QdrantClientResourceExhaustedError) {
    // Limitation: client 1.17/1.18 keeps only the first character of Retry-After, so
    // "12" arrives as 1 s; the caller's own backoff still grows on repeated 429s.
    const seconds = Number(err.retry_after);
    return new TransientError(`Qdrant at ${location} is rate-limiting requests (429).`, {
      cause: err,
      exitCode: STORE_EXIT,
      retryAfterMs: Number.isFinite(seconds) ? seconds * 1000 : undefined,
    });
  }

  if (isApiError(err)) {
    return fromStatus(err, location);
  }

  const cause = (err as { cause?: NetworkCause }).cause;
  if (err instanceof TypeError && cause) {
    return new TransientError(`Qdrant is unreachable at ${location} (${networkCode(cause)}).`, {
      cause: err,
      exitCode: STORE_EXIT,
    });
  }
  return new StoreError(`Qdrant at ${location} failed: ${(err as Error).message}`, { cause: err });
}

interface NetworkCause {
  code?: string;
  message?: string;
  errors?: { code?: string }[];
}

// undici wraps the socket error; with several addresses tried it is an AggregateError.
function networkCode(cause: NetworkCause): string {
  return cause.code ?? cause.errors?.find((e) => e.code)?.code ?? cause.message ?? 'network error';
}

function fromStatus(err: ApiErrorLike, location: string): Error {
  const detail = qdrantMessage(err);

  if (err.status === 401) {
    return new ConfigError(
      `Qdrant at ${location} rejected the API key (401: ${detail}). ` +
        'Set QDRANT_API_KEY or --qdrant-api-key to a valid key.',
      { cause: err },
    );
  }
  if (err.status === 403) {
    return new ConfigError(
      `Qdrant at ${location} refused a write (403: ${detail}): the API key is read-only. ` +
        'Use a key with write access.',
      { cause: err },
    );
  }
  if (err.status === 429 || err.status === 408 || err.status >= 500) {
    const retryAfter = Number(err.headers?.get('retry-after'));
    return new TransientError(`Qdrant at ${location} answered ${err.status}: ${detail}`, {
      cause: err,
      exitCode: STORE_EXIT,
      retryAfterMs: retryAfter > 0 ? retryAfter * 1000 : undefined,
    });
  }
  return new PermanentError(`Qdrant refused the request (${err.status}): ${detail}`, {
    code: 'QDRANT_REJECTED',
    cause: err,
  });
}

/** Qdrant's own text: `err.data.status.error` for JSON answers, the body for plain text. */
function qdrantMessage(err: ApiErrorLike): string {
  const data = err.data as { status?: { error?: string } } | string | undefined;
  if (typeof data === 'string' && data.length > 0) {
    return data.slice(0, 300);
  }
  if (data && typeof data === 'object' && data.status?.error) {
    return data.status.error.slice(0, 300);
  }
  return `HTTP ${err.status}`;
}
