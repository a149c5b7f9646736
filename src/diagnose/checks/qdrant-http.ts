import type { CollectionInfo } from '../../store/vector-store.js';

/** One answer from Qdrant's REST API. */
export interface QdrantAnswer {
  status: number;
  /** Parsed JSON body, or null when the body is not JSON. */
  json: unknown;
  text: string;
}

/**
 * Plain REST calls to Qdrant for the checks that the store adapter does not cover
 * (version, health, write permission). Cancelled through `signal` when the check times
 * out, which also closes the socket.
 */
export class QdrantHttp {
  private readonly base: string;

  constructor(
    url: string,
    private readonly apiKey: string | undefined,
    private readonly signal: AbortSignal,
  ) {
    this.base = url.replace(/\/+$/, '');
  }

  async request(method: string, path: string, body?: unknown): Promise<QdrantAnswer> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.apiKey) {
      headers['api-key'] = this.apiKey;
    }
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
    }

    const response = await fetch(`${this.base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: this.signal,
    });
    const text = await response.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      // /healthz answers in plain text.
    }
    return { status: response.status, json, text };
  }
}

/** The error text Qdrant put in a failed answer, or the status line. */
export function qdrantError(answer: QdrantAnswer): string {
  const status = (answer.json as { status?: { error?: string } } | null)?.status;
  const detail =
    typeof status === 'object' && status?.error ? status.error : answer.text.slice(0, 200);
  return `HTTP ${answer.status}${detail ? `: ${detail}` : ''}`;
}

/** A collection as GET /collections/{name} describes it. */
export function parseCollection(name: string, json: unknown): CollectionInfo {
  const result = (json as { result?: Record<string, unknown> }).result ?? {};
  const config = (result.config ?? {}) as {
    params?: { vectors?: unknown };
    metadata?: Record<string, unknown>;
  };
  let vectors = (config.params?.vectors ?? {}) as Record<string, unknown>;
  if (!('size' in vectors)) {
    // Named vectors: idx writes one unnamed vector, so show the first named one.
    vectors = (Object.values(vectors)[0] ?? {}) as Record<string, unknown>;
  }
  const model = config.metadata?.idx_model ?? config.metadata?.model;
  return {
    name,
    dimension: Number(vectors.size ?? 0),
    distance: String(vectors.distance ?? 'unknown'),
    model: typeof model === 'string' ? model : undefined,
    points: Number(result.points_count ?? 0),
  };
}

/** Why a request never got an answer: refused, unknown host, reset, or something else. */
export function networkFailure(err: unknown): {
  kind: 'refused' | 'unknown host' | 'other';
  detail: string;
} {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? (err as { code?: string }).code;
  if (code === 'ECONNREFUSED') {
    return { kind: 'refused', detail: 'connection refused' };
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return { kind: 'unknown host', detail: 'unknown host' };
  }
  return { kind: 'other', detail: cause?.message ?? (err as Error).message ?? String(err) };
}
