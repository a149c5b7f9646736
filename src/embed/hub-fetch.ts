import { errorMessage } from '../core/errors.js';

/** The fetch signature transformers.js calls through `env.fetch`. */
export type FetchFunction = (input: string | URL, init?: RequestInit) => Promise<Response>;

/** The hub's address when none is given. */
export const DEFAULT_HUB_URL = 'https://huggingface.co/';

/** How long a download may wait for response headers, or between two body chunks. */
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 10_000;

/**
 * Wraps fetch so that a host which accepts the connection and then says nothing fails
 * after `timeoutMs` instead of Node's default 300 s headers timeout. The timer covers the
 * wait for headers and then each wait for the next body chunk, so a slow but moving
 * download of a large model file is never cut off.
 */
export function createTimeoutFetch(
  timeoutMs: number,
  baseFetch: FetchFunction = globalThis.fetch,
): FetchFunction {
  return async (input, init = {}) => {
    const host = hostOf(input);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const signal = init.signal
      ? AbortSignal.any([init.signal, controller.signal])
      : controller.signal;

    try {
      const response = await baseFetch(input, { ...init, signal });
      return withIdleTimeout(response, timeoutMs, host);
    } catch (err) {
      if (controller.signal.aborted) {
        throw new Error(`no response from ${host} within ${timeoutMs} ms`, { cause: err });
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  };
}

/**
 * A short reason for a failed download: the host that could not be resolved or reached,
 * the HTTP status, or the stall, without transformers.js' internal wording.
 */
export function describeDownloadFailure(err: unknown): string {
  const status = (err as { status?: unknown }).status;
  if (status === 404) {
    return 'the hub has no such file (HTTP 404); check the model id';
  }

  if (status === 401 || status === 403) {
    const why = 'the model does not exist, or is private or gated (set HF_TOKEN)';
    return `access denied (HTTP ${status}): ${why}`;
  }

  const code = findCauseCode(err);
  const reasons: Record<string, string> = {
    ENOTFOUND: 'the hub host name cannot be resolved (no DNS or no internet)',
    EAI_AGAIN: 'the hub host name cannot be resolved (no DNS or no internet)',
    ECONNREFUSED: 'the connection to the hub was refused',
    ECONNRESET: 'the connection to the hub was reset',
    ETIMEDOUT: 'the connection to the hub timed out',
    ENETUNREACH: 'the network is unreachable',
    UND_ERR_CONNECT_TIMEOUT: 'the connection to the hub timed out',
  };

  if (code !== undefined && reasons[code] !== undefined) {
    return `${reasons[code]} (${code})`;
  }

  return errorMessage(err);
}

function withIdleTimeout(response: Response, timeoutMs: number, host: string): Response {
  if (response.body === null) {
    return response;
  }

  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk = await readWithin(reader, timeoutMs, host);

      if (chunk.done) {
        controller.close();
        return;
      }

      controller.enqueue(chunk.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });

  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

async function readWithin(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  timeoutMs: number,
  host: string,
): Promise<Awaited<ReturnType<typeof reader.read>>> {
  let timer: NodeJS.Timeout | undefined;

  const stalled = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`download from ${host} stalled for ${timeoutMs} ms`));
      void reader.cancel().catch(() => {});
    }, timeoutMs);
  });

  try {
    return await Promise.race([reader.read(), stalled]);
  } finally {
    clearTimeout(timer);
  }
}

function findCauseCode(err: unknown): string | undefined {
  let current: unknown = err;

  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    const code = (current as NodeJS.ErrnoException).code;

    if (typeof code === 'string') {
      return code;
    }

    current = current.cause;
  }

  return undefined;
}

function hostOf(input: string | URL): string {
  try {
    return new URL(input).host;
  } catch {
    return String(input);
  }
}
