/**
 * Fault injection in the stand-in: injected 5xx and 429, a server that goes down and comes
 * back on the same port, slow answers and a silent host, seen through the real js client.
 */
import {
  QdrantClientResourceExhaustedError,
  QdrantClientTimeoutError,
  type QdrantClient,
} from '@qdrant/js-client-rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startQdrantStandin, type QdrantStandin } from '../support/qdrant-standin/server.js';
import { connectClient, rawRequest } from '../support/qdrant-standin/testing.js';

let standin: QdrantStandin;
let client: QdrantClient;

beforeAll(async () => {
  standin = await startQdrantStandin();
  client = await connectClient(standin);
  await client.createCollection('faulty', { vectors: { size: 2, distance: 'Cosine' } });
});

afterAll(async () => {
  await standin.close();
});

async function failure(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => {
      throw new Error('the call should have failed');
    },
    (err: unknown) => err,
  );
}

describe('failNext', () => {
  it('answers the next requests with a 503, then recovers', async () => {
    standin.failNext(2, { status: 503 });

    const first = (await failure(client.count('faulty'))) as { status: number };
    const second = (await failure(client.count('faulty'))) as { status: number };
    const third = await client.count('faulty');

    expect(first.status).toBe(503);
    expect(second.status).toBe(503);
    expect(third).toEqual({ count: 0 });
    expect(standin.requests.slice(-3).map((request) => request.status)).toEqual([503, 503, 200]);
  });

  it('sends Retry-After in whole seconds with a 429', async () => {
    standin.failNext(1, { status: 429, retryAfterSeconds: 11.2 });

    const answer = await rawRequest(standin, 'POST', '/collections/faulty/points/count', {});

    expect(answer.status).toBe(429);
    expect(answer.headers.get('retry-after')).toBe('12');
    expect((answer.json as { status: { error: string } }).status.error).toMatch(
      /^Rate limiting exceeded: /,
    );
  });

  it('makes the js client raise QdrantClientResourceExhaustedError on a 429', async () => {
    // The client keeps only the header's first character, so a one-digit value reads back whole.
    standin.failNext(1, { status: 429, retryAfterSeconds: 7 });

    const err = await failure(client.upsert('faulty', { points: [{ id: 1, vector: [1, 0] }] }));

    expect(err).toBeInstanceOf(QdrantClientResourceExhaustedError);
    expect((err as QdrantClientResourceExhaustedError).retry_after).toBe(7);
    expect(standin.pointCount('faulty')).toBe(0);
  });

  it('fails only requests whose path matches', async () => {
    standin.failNext(1, { status: 500, path: /\/points\/search$/ });

    const count = await client.count('faulty');
    const err = (await failure(client.search('faulty', { vector: [1, 0] }))) as { status: number };
    const again = await client.search('faulty', { vector: [1, 0] });

    expect(count).toEqual({ count: 0 });
    expect(err.status).toBe(500);
    expect(again).toEqual([]);
  });
});

describe('down and up', () => {
  it('refuses connections while down, then serves the same data on the same port', async () => {
    await client.upsert('faulty', { points: [{ id: 1, vector: [1, 0] }] });
    const port = standin.port;

    await standin.down();
    let err: Error & { cause?: { code?: string } };
    let raw: Error & { cause?: { code?: string } };
    try {
      err = (await failure(client.count('faulty'))) as typeof err;
      raw = (await failure(fetch(`${standin.url}/healthz`))) as typeof raw;
    } finally {
      await standin.up();
    }

    expect(err).toBeInstanceOf(TypeError);
    expect(err.cause?.code).toBe('ECONNREFUSED');
    expect(raw.cause?.code).toBe('ECONNREFUSED');
    expect(standin.port).toBe(port);
    expect(await client.count('faulty')).toEqual({ count: 1 });

    await client.delete('faulty', { points: [1], wait: true });
  });
});

describe('slow and silent', () => {
  it('makes a client with a 200 ms timeout throw its timeout error', async () => {
    const impatient = await connectClient(standin, { timeout: 200 });
    standin.setDelay(1000);

    try {
      const err = await failure(impatient.count('faulty'));
      expect(err).toBeInstanceOf(QdrantClientTimeoutError);
    } finally {
      standin.setDelay(0);
    }

    expect(await impatient.count('faulty')).toEqual({ count: 0 });
  });

  it('holds requests unanswered while silent, and answers again afterwards', async () => {
    standin.setSilent(true);

    try {
      const err = (await failure(
        fetch(`${standin.url}/healthz`, { signal: AbortSignal.timeout(300) }),
      )) as Error;

      expect(err.name).toBe('TimeoutError');
      expect(standin.requests.at(-1)).toEqual({
        method: 'GET',
        path: '/healthz',
        query: {},
        status: 0,
      });
    } finally {
      standin.setSilent(false);
    }

    const answer = await rawRequest(standin, 'GET', '/healthz');
    expect(answer.status).toBe(200);
  });
});
