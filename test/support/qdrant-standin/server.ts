/**
 * Test code: a stand-in HTTP server that behaves like Qdrant 1.17 for the endpoints idx calls,
 * for tests on machines where no real Qdrant can run. It is not a Qdrant implementation:
 * it keeps everything in memory, searches by brute force, and answers 501 for features it
 * does not model. What it does model follows shared/qdrant/FACTS.md: status codes, exact
 * error messages, envelopes, defaults, id rules and cosine scores.
 *
 * Every request is checked against Qdrant's OpenAPI document before it is handled, and every
 * success answer is checked against the document's response schema, so a test cannot pass
 * here with a request production would refuse. It listens on 127.0.0.1 only.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import { authorise, type ApiKeys } from './auth.js';
import { CollectionStore } from './collections.js';
import {
  MAX_BODY_BYTES,
  manageAccessRequired,
  notImplemented,
  payloadOverflow,
  payloadTooLarge,
  StandinError,
} from './errors.js';
import { FaultPlan, type InjectedFailure } from './faults.js';
import { HANDLERS, READ_OPERATIONS } from './handlers.js';
import { getOpenApiValidator, type OpenApiValidator } from './openapi-validator.js';

export interface StandinOptions {
  /** Port to listen on; 0 or absent picks a free one. */
  port?: number;
  /** Read-write key; when it or `readOnlyApiKey` is set, other requests get 401. */
  apiKey?: string;
  /** Key that may read but not write (writes get 403). */
  readOnlyApiKey?: string;
  /** Version reported by `GET /`. Default `1.17.0`. */
  version?: string;
}

export interface RequestRecord {
  method: string;
  /** The path as sent, without the query string. */
  path: string;
  query: Record<string, string>;
  /** The status answered; 0 while unanswered (e.g. held by silent mode). */
  status: number;
}

export interface QdrantStandin {
  url: string;
  port: number;
  close(): Promise<void>;
  /** Stop accepting connections (ECONNREFUSED) until up() is called; same port. */
  down(): Promise<void>;
  up(): Promise<void>;
  /** The next `count` requests whose path matches `path` (default all) get this failure. */
  failNext(count: number, failure: InjectedFailure): void;
  /** Delay every answer by this many ms (0 to stop); for client-timeout tests. */
  setDelay(ms: number): void;
  /** Accept TCP connections and never answer (a silent host), until called with false. */
  setSilent(silent: boolean): void;
  /** Every request seen: method, path (no query), query string object, status answered. */
  readonly requests: RequestRecord[];
  /** Points in a collection (for assertions), or undefined if no such collection. */
  pointCount(collection: string): number | undefined;
}

/** The commit of Qdrant's `v1.17.0` tag, reported by `GET /` like a release build does. */
const QDRANT_COMMIT = '4ab6d2ee0f6c718667e553b1055f3e944fef025f';

/** How long `down()` waits after closing connections; see there. */
const CLOSE_SETTLE_MS = 20;

const HEALTH_TEXT: Record<string, string> = {
  '/healthz': 'healthz check passed',
  '/livez': 'healthz check passed',
  '/readyz': 'all shards are ready',
};

interface ReadBody {
  text: string;
  tooLarge?: StandinError;
}

/** Starts a stand-in on 127.0.0.1 and resolves once it accepts connections. */
export async function startQdrantStandin(opts: StandinOptions = {}): Promise<QdrantStandin> {
  const server = new StandinServer(opts);
  await server.listen(opts.port ?? 0);
  return server;
}

class StandinServer implements QdrantStandin {
  readonly requests: RequestRecord[] = [];
  port = 0;

  private readonly http: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly held = new Set<http.ServerResponse>();
  private readonly store = new CollectionStore();
  private readonly faults = new FaultPlan();
  private readonly validator: OpenApiValidator;
  private readonly keys: ApiKeys;
  private readonly version: string;

  constructor(opts: StandinOptions) {
    this.validator = getOpenApiValidator();
    this.keys = { apiKey: opts.apiKey, readOnlyApiKey: opts.readOnlyApiKey };
    this.version = opts.version ?? '1.17.0';

    this.http = http.createServer((request, response) => {
      void this.handle(request, response);
    });
    this.http.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, '127.0.0.1', () => {
        this.http.off('error', reject);
        resolve();
      });
    });

    this.port = (this.http.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    await this.down();
  }

  async down(): Promise<void> {
    if (!this.http.listening) {
      return;
    }

    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.dropConnections();
    await closed;

    // Let same-process clients see their kept-alive sockets close, so their next request
    // opens a new connection and gets ECONNREFUSED rather than racing a dying socket.
    await sleep(CLOSE_SETTLE_MS);
  }

  async up(): Promise<void> {
    if (!this.http.listening) {
      await this.listen(this.port);
    }
  }

  failNext(count: number, failure: InjectedFailure): void {
    this.faults.failNext(count, failure);
  }

  setDelay(ms: number): void {
    this.faults.delayMs = Math.max(0, ms);
  }

  setSilent(silent: boolean): void {
    this.faults.silent = silent;

    // A host that wakes up has lost the connections it ignored; their clients see a reset.
    if (!silent) {
      for (const response of this.held) {
        response.socket?.destroy();
      }
      this.held.clear();
    }
  }

  pointCount(collection: string): number | undefined {
    return this.store.get(collection)?.points.size;
  }

  private dropConnections(): void {
    for (const socket of this.sockets) {
      socket.destroy();
    }
    this.sockets.clear();
    this.held.clear();
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse) {
    request.on('error', () => undefined);
    response.on('error', () => undefined);

    const url = new URL(request.url ?? '/', 'http://standin');
    const record: RequestRecord = {
      method: request.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 0,
    };
    this.requests.push(record);

    if (this.faults.silent) {
      this.held.add(response);
      return;
    }

    const started = performance.now();
    let body: ReadBody;
    try {
      body = await readBody(request);
    } catch {
      // The client went away mid-body; there is no one left to answer.
      return;
    }

    const answer = this.answer(record.method, url, request.headers, body, started);

    if (this.faults.delayMs > 0) {
      await sleep(this.faults.delayMs);
    }

    record.status = answer.status;
    if (!response.destroyed) {
      response.writeHead(answer.status, answer.headers);
      response.end(answer.body);
    }
  }

  private answer(
    method: string,
    url: URL,
    headers: http.IncomingHttpHeaders,
    body: ReadBody,
    started: number,
  ): Answer {
    try {
      const injected = this.faults.take(url.pathname);
      if (injected) {
        throw injected;
      }

      return this.route(method, url, headers, body, started);
    } catch (err) {
      if (err instanceof StandinError) {
        return errorAnswer(err, started);
      }

      // A bug in the stand-in must fail the test that met it, not crash the test runner.
      const text = `Service internal error: qdrant stand-in bug: ${(err as Error).stack ?? err}`;
      return errorAnswer(new StandinError(500, text), started);
    }
  }

  /** Qdrant's order: auth, routing, path, body, query string, access, handler. */
  private route(
    method: string,
    url: URL,
    headers: http.IncomingHttpHeaders,
    body: ReadBody,
    started: number,
  ): Answer {
    const path = normalisePath(url.pathname);

    const access = authorise(this.keys, path, headers);
    if (access instanceof StandinError) {
      throw access;
    }

    const builtIn = this.builtIn(method, path);
    if (builtIn) {
      return builtIn;
    }

    const match = this.validator.match(method, path);
    if (!match) {
      return { status: 404, headers: {}, body: '' };
    }

    const { route, pathValues } = match;
    throwIf(this.validator.checkPath(match));

    let value: unknown;
    if (route.bodySchemaName) {
      throwIf(body.tooLarge);
      const parsed = this.validator.readBody(route, body.text);
      value = throwIf(parsed).value;
    }

    const query = throwIf(this.validator.readQuery(route, url.searchParams));

    if (access === 'read-only' && !READ_OPERATIONS.has(route.operationId)) {
      throw manageAccessRequired();
    }

    const handler = HANDLERS[route.operationId];
    if (!handler) {
      throw notImplemented(`${route.operationId} (${method} ${route.template})`);
    }

    const result = handler({ store: this.store, pathValues, query, body: value });
    const envelope = { result, status: 'ok', time: elapsedSeconds(started) };

    const problem = this.validator.checkResponse(route, envelope);
    if (problem) {
      const bug = 'qdrant stand-in bug, answer breaks the OpenAPI document';
      const text = `Service internal error: ${bug}: ${problem}`;
      throw new StandinError(500, text);
    }

    return jsonAnswer(200, JSON.stringify(envelope));
  }

  /** The root version document and the health probes, which have no envelope. */
  private builtIn(method: string, path: string): Answer | undefined {
    if (method !== 'GET') {
      return undefined;
    }

    if (path === '/') {
      const info = {
        title: 'qdrant - vector search engine',
        version: this.version,
        commit: QDRANT_COMMIT,
      };
      return jsonAnswer(200, JSON.stringify(info));
    }

    const text = HEALTH_TEXT[path];
    if (text === undefined) {
      return undefined;
    }

    return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: text };
  }
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function jsonAnswer(status: number, body: string): Answer {
  return { status, headers: { 'content-type': 'application/json' }, body };
}

function errorAnswer(err: StandinError, started: number): Answer {
  if (err.plainText) {
    // actix's `HttpResponse::Unauthorized().body(..)` sets no Content-Type (FACTS §7).
    return { status: err.status, headers: {}, body: err.message };
  }

  // serde prints f64 zero as `0.0`; extractor errors always report it (FACTS §1).
  const time = err.fromExtractor ? '0.0' : String(elapsedSeconds(started));
  const answer = jsonAnswer(
    err.status,
    `{"status":{"error":${JSON.stringify(err.message)}},"time":${time}}`,
  );

  if (err.retryAfterSeconds !== undefined) {
    answer.headers['retry-after'] = String(err.retryAfterSeconds);
  }

  return answer;
}

/**
 * Reads the whole body. Over the limit it is still read to the end and thrown away, so the
 * client finishes sending and sees the 400 instead of a reset connection.
 */
async function readBody(request: http.IncomingMessage): Promise<ReadBody> {
  const declared = Number(request.headers['content-length']);
  const chunks: Buffer[] = [];
  let received = 0;

  for await (const chunk of request as AsyncIterable<Buffer>) {
    received += chunk.length;
    if (received <= MAX_BODY_BYTES) {
      chunks.push(chunk);
    }
  }

  // actix checks `len > limit`: exactly 33554432 bytes is allowed (FACTS §2).
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
    return { text: '', tooLarge: payloadTooLarge(declared) };
  }

  if (received > MAX_BODY_BYTES) {
    return { text: '', tooLarge: payloadOverflow() };
  }

  return { text: Buffer.concat(chunks).toString('utf8') };
}

/** actix's `NormalizePath::trim`: repeated slashes merged, a trailing slash dropped. */
function normalisePath(path: string): string {
  const merged = path.replace(/\/{2,}/g, '/');
  return merged.length > 1 && merged.endsWith('/') ? merged.slice(0, -1) : merged;
}

function elapsedSeconds(started: number): number {
  return (performance.now() - started) / 1000;
}

/** Throws the value if it is an error, and hands it back otherwise. */
function throwIf<T>(value: T): Exclude<T, StandinError> {
  if (value instanceof StandinError) {
    throw value;
  }
  return value as Exclude<T, StandinError>;
}
