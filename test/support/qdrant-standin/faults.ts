/**
 * Test code: fault injection for the Qdrant stand-in: failures on chosen requests, slow
 * answers, and a silent mode that accepts connections and never answers. These are the paths
 * real bulk loads hit (FACTS §9, item 8).
 */
import { StandinError } from './errors.js';

/** A failure to answer instead of handling the request. */
export interface InjectedFailure {
  status: 429 | 500 | 503 | 408;
  /** Sent as `Retry-After`, rounded up to whole seconds. A 429 without it says 1. */
  retryAfterSeconds?: number;
  /** Only requests whose path (no query string) matches; default every request. */
  path?: RegExp;
}

/** Qdrant's wording for each kind, marked so a log shows the failure was injected. */
const MESSAGES: Record<InjectedFailure['status'], string> = {
  408: "Timeout: Timeout error: Operation 'Search' timed out after 1s",
  429: 'Rate limiting exceeded: Write rate limit exceeded, retry later',
  500: 'Service internal error: injected failure',
  503: 'Service unavailable: No active replica is available',
};

const INJECTED_NOTE = ' (injected by the qdrant stand-in)';

export class FaultPlan {
  /** Milliseconds to hold every answer back. */
  delayMs = 0;

  /** Accept requests and never answer them. */
  silent = false;

  private readonly pending: Array<{ remaining: number; failure: InjectedFailure }> = [];

  failNext(count: number, failure: InjectedFailure): void {
    if (!Number.isInteger(count) || count < 1) {
      throw new RangeError(`failNext count must be a whole number of at least 1, got ${count}`);
    }

    this.pending.push({ remaining: count, failure });
  }

  /** The failure this request gets, if one is queued for its path; uses it up. */
  take(path: string): StandinError | undefined {
    const index = this.pending.findIndex(({ failure }) => failure.path?.test(path) ?? true);
    if (index === -1) {
      return undefined;
    }

    const entry = this.pending[index];
    entry.remaining -= 1;
    if (entry.remaining === 0) {
      this.pending.splice(index, 1);
    }

    return toError(entry.failure);
  }
}

function toError(failure: InjectedFailure): StandinError {
  const seconds = failure.retryAfterSeconds ?? (failure.status === 429 ? 1 : undefined);
  const retryAfterSeconds = seconds === undefined ? undefined : Math.ceil(seconds);

  return new StandinError(failure.status, MESSAGES[failure.status] + INJECTED_NOTE, {
    retryAfterSeconds,
  });
}
