/**
 * Test code: small helpers for tests that talk to the Qdrant stand-in, with raw `fetch` or
 * with the real `@qdrant/js-client-rest` client.
 */
import { setTimeout as sleep } from 'node:timers/promises';

import { QdrantClient } from '@qdrant/js-client-rest';

import type { QdrantStandin } from './server.js';

export interface RawAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/** One HTTP request to the stand-in; `body` strings and buffers are sent as they are. */
export async function rawRequest(
  standin: QdrantStandin,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<RawAnswer> {
  const payload =
    body === undefined || typeof body === 'string' || Buffer.isBuffer(body)
      ? body
      : JSON.stringify(body);

  const response = await fetch(`${standin.url}${path}`, {
    method,
    headers: payload === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: payload as RequestInit['body'],
  });
  const text = await response.text();

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }

  return { status: response.status, headers: response.headers, text, json };
}

/**
 * A js client with `checkCompatibility` left on, returned once its start-up `GET /` has been
 * answered and handled, so a test can assert the client printed no version warning.
 */
export async function connectClient(
  standin: QdrantStandin,
  opts: { apiKey?: string; timeout?: number } = {},
): Promise<QdrantClient> {
  const versionChecks = () => standin.requests.filter(isAnsweredVersionCheck).length;
  const before = versionChecks();

  const client = new QdrantClient({ url: standin.url, ...opts });

  const deadline = Date.now() + 5000;
  while (versionChecks() === before) {
    if (Date.now() > deadline) {
      throw new Error('the js client sent no GET / within 5 s');
    }
    await sleep(5);
  }

  // The client reads and compares the version after the answer arrives.
  await sleep(30);
  return client;
}

function isAnsweredVersionCheck(request: { method: string; path: string; status: number }) {
  return request.method === 'GET' && request.path === '/' && request.status !== 0;
}
