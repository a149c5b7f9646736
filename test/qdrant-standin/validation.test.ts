/**
 * The stand-in refuses what Qdrant 1.17 refuses, with Qdrant's status and exact message.
 */
import http from 'node:http';

import type { QdrantClient } from '@qdrant/js-client-rest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { MAX_BODY_BYTES } from '../support/qdrant-standin/errors.js';
import { startQdrantStandin, type QdrantStandin } from '../support/qdrant-standin/server.js';
import { connectClient, rawRequest } from '../support/qdrant-standin/testing.js';

const ID_ERROR =
  'Format error in JSON body: value SKU-1 is not a valid point ID, ' +
  'valid values are either an unsigned integer or a UUID';
const DIMENSION_ERROR = 'Wrong input: Vector dimension error: expected dim: 4, got 3';
const FILTER_FIELDS = 'expected one of `should`, `min_should`, `must`, `must_not`';

interface ApiErrorLike {
  status: number;
  data: { status: { error: string } };
}

let standin: QdrantStandin;
let client: QdrantClient;
const warn = vi.spyOn(console, 'warn');

beforeAll(async () => {
  standin = await startQdrantStandin();
  client = await connectClient(standin);
  await client.createCollection('products', { vectors: { size: 4, distance: 'Cosine' } });
});

afterAll(async () => {
  await standin.close();
  warn.mockRestore();
});

/** A PUT whose body has no Content-Length: `size` bytes of spaces in 1 MiB chunks. */
async function sendChunked(path: string, size: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${standin.url}${path}`,
      { method: 'PUT', headers: { 'transfer-encoding': 'chunked' } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() });
        });
      },
    );
    request.on('error', reject);

    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    for (let sent = 0; sent < size; sent += chunk.length) {
      request.write(chunk.subarray(0, Math.min(chunk.length, size - sent)));
    }
    request.end();
  });
}

async function clientError(call: Promise<unknown>): Promise<ApiErrorLike> {
  const err = (await call.then(
    () => undefined,
    (caught: unknown) => caught,
  )) as ApiErrorLike | undefined;

  expect(err, 'the call should have been refused').toBeDefined();
  return err!;
}

describe('the four refusals the CLI meets most (raw fetch)', () => {
  it('refuses a string point id with the point-id format error', async () => {
    const body = { points: [{ id: 'SKU-1', vector: [0.1, 0.2, 0.3, 0.4] }] };
    const answer = await rawRequest(standin, 'PUT', '/collections/products/points?wait=true', body);

    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({ status: { error: ID_ERROR }, time: 0 });
    expect(answer.text).toContain('"time":0.0');
    expect(answer.headers.get('content-type')).toBe('application/json');
  });

  it('refuses a vector of the wrong length when wait=true', async () => {
    const body = { points: [{ id: 1, vector: [0.1, 0.2, 0.3] }] };
    const answer = await rawRequest(standin, 'PUT', '/collections/products/points?wait=true', body);

    expect(answer.status).toBe(400);
    expect((answer.json as ApiErrorLike['data']).status.error).toBe(DIMENSION_ERROR);
  });

  it('refuses an unknown key inside a filter, positioned at the body end', async () => {
    const body = JSON.stringify({
      vector: [1, 0, 0, 0],
      limit: 3,
      filter: { must: [{ key: 'category', match: { value: 'shoes' } }], bogus: 1 },
    });
    const answer = await rawRequest(standin, 'POST', '/collections/products/points/search', body);

    expect(answer.status).toBe(400);
    expect((answer.json as ApiErrorLike['data']).status.error).toBe(
      `Format error in JSON body: unknown field \`bogus\`, ${FILTER_FIELDS} ` +
        `at line 1 column ${body.length}`,
    );
  });

  it('refuses a body over 32 MiB with the payload error after reading it', async () => {
    const body = Buffer.alloc(MAX_BODY_BYTES + 1, 0x20);
    const answer = await rawRequest(standin, 'PUT', '/collections/products/points', body);

    expect(answer.status).toBe(400);
    expect((answer.json as ApiErrorLike['data']).status.error).toBe(
      'Payload error: JSON payload (33554433 bytes) is larger than allowed ' +
        '(limit: 33554432 bytes).',
    );
  });

  it('refuses a chunked body that grows past 32 MiB with the overflow wording', async () => {
    const answer = await sendChunked('/collections/products/points', MAX_BODY_BYTES + 1);

    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text)).toEqual({
      status: { error: 'Payload error: JSON payload has exceeded limit (33554432 bytes).' },
      time: 0,
    });
  });

  it('accepts a body of exactly 32 MiB, since the limit test is "larger than"', async () => {
    const json = JSON.stringify({ points: [{ id: 99, vector: [1, 2, 3, 4] }] });
    const body = json.padEnd(MAX_BODY_BYTES, ' ');
    const answer = await rawRequest(standin, 'PUT', '/collections/products/points', body);

    expect(answer.status).toBe(200);
    await rawRequest(standin, 'POST', '/collections/products/points/delete?wait=true', {
      points: [99],
    });
  });
});

describe('the same refusals through the js client', () => {
  it('surfaces the string-id error as err.status and err.data.status.error', async () => {
    const call = client.upsert('products', {
      points: [{ id: 'SKU-1', vector: [0.1, 0.2, 0.3, 0.4] }],
    });
    const err = await clientError(call);

    expect(err.status).toBe(400);
    expect(err.data.status.error).toBe(ID_ERROR);
  });

  it('surfaces the dimension error (the client waits by default)', async () => {
    const err = await clientError(
      client.upsert('products', { points: [{ id: 1, vector: [0.1, 0.2, 0.3] }] }),
    );

    expect(err.status).toBe(400);
    expect(err.data.status.error).toBe(DIMENSION_ERROR);
    expect(standin.pointCount('products')).toBe(0);
  });

  it('surfaces the unknown filter key', async () => {
    const filter = { must: [], bogus: 1 } as unknown as Record<string, unknown>;
    const err = await clientError(client.count('products', { filter }));

    // The client sends `{filter, exact: true}`; serde positions the error at its last byte.
    const sent = JSON.stringify({ filter, exact: true });
    expect(err.status).toBe(400);
    expect(err.data.status.error).toBe(
      `Format error in JSON body: unknown field \`bogus\`, ${FILTER_FIELDS} ` +
        `at line 1 column ${sent.length}`,
    );
  });

  it('surfaces the 32 MiB limit for an unbatched upsert, not a socket error', async () => {
    const vector = Array.from({ length: 1536 }, (_, index) => 0.123456789012345 + index / 1e9);
    const points = Array.from({ length: 1300 }, (_, index) => ({ id: index, vector }));
    const size = Buffer.byteLength(JSON.stringify({ points }));
    expect(size).toBeGreaterThan(MAX_BODY_BYTES);

    const err = await clientError(client.upsert('products', { points }));

    expect(err.status).toBe(400);
    expect(err.data.status.error).toBe(
      `Payload error: JSON payload (${size} bytes) is larger than allowed ` +
        '(limit: 33554432 bytes).',
    );
  });

  it('printed no version warning: GET / answered as 1.17 does', () => {
    expect(warn).not.toHaveBeenCalled();
  });
});

describe('silent data loss without wait, as in 1.17', () => {
  it('acknowledges a wrong-length point and drops it', async () => {
    const body = {
      points: [
        { id: 1, vector: [0.1, 0.2, 0.3] },
        { id: 2, vector: [0.1, 0.2, 0.3, 0.4] },
      ],
    };
    const answer = await rawRequest(standin, 'PUT', '/collections/products/points', body);

    expect(answer.status).toBe(200);
    expect((answer.json as { result: unknown }).result).toEqual({
      operation_id: expect.any(Number),
      status: 'acknowledged',
    });
    expect(await client.retrieve('products', { ids: [1, 2] })).toEqual([{ id: 2, payload: {} }]);

    await client.delete('products', { points: [2], wait: true });
  });
});

describe('malformed JSON, worded by serde_json', () => {
  const cases: Array<[string, string]> = [
    ['', 'EOF while parsing a value at line 1 column 0'],
    ['x', 'expected value at line 1 column 1'],
    ['{"points": [1, 2', 'EOF while parsing a list at line 1 column 16'],
    ['{"points": []} x', 'trailing characters at line 1 column 16'],
    ['{"points": [1,]}', 'trailing comma at line 1 column 15'],
    ['{"points" []}', 'expected `:` at line 1 column 11'],
    ['{points: []}', 'key must be a string at line 1 column 2'],
    ['{"points":\n  [tru]}', 'expected ident at line 2 column 7'],
    ['{"a": 01}', 'invalid number at line 1 column 8'],
  ];

  it.each(cases)('%j -> %s', async (body, message) => {
    const answer = await rawRequest(standin, 'POST', '/collections/products/points/delete', body);

    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({
      status: { error: `Format error in JSON body: ${message}` },
      time: 0,
    });
  });
});

describe('every field is checked against the OpenAPI document', () => {
  const refusals: Array<[string, string, unknown, number, string]> = [
    [
      'a string limit',
      '/points/search',
      { vector: [1, 0, 0, 0], limit: '3' },
      400,
      'Format error in JSON body: invalid type: string "3", expected usize at line 1 column {end}',
    ],
    [
      'a zero limit',
      '/points/search',
      { vector: [1, 0, 0, 0], limit: 0 },
      422,
      'Validation error in JSON body: [limit: value 0 invalid, must be 1 or larger]',
    ],
    [
      'a negative scroll limit',
      '/points/scroll',
      { limit: -1 },
      400,
      'Format error in JSON body: invalid value: integer `-1`, expected usize ' +
        'at line 1 column {end}',
    ],
    [
      'a missing required field',
      '/points/search',
      { vector: [1, 0, 0, 0] },
      400,
      'Format error in JSON body: missing field `limit` at line 1 column {end}',
    ],
    [
      'with_payload of the wrong type',
      '/points/scroll',
      { with_payload: 5 },
      400,
      'Format error in JSON body: data did not match any variant of untagged enum ' +
        'WithPayloadInterface at line 1 column {end}',
    ],
    [
      'an untagged condition that matches no variant',
      '/points/count',
      { filter: { must: [{ key: 'a', match: { valu: 1 } }] } },
      400,
      'Format error in JSON body: data did not match any variant of untagged enum Condition ' +
        'at line 1 column {end}',
    ],
    [
      'a retrieve body with upsert points (qdrant#7668)',
      '/points',
      { points: [{ id: 1, vector: [1, 0, 0, 0] }] },
      400,
      'Format error in JSON body: missing field `ids` at line 1 column {end}',
    ],
    [
      'a delete body with neither ids nor a valid filter',
      '/points/delete',
      { filter: { bogus: 1 } },
      400,
      'Format error in JSON body: data did not match any variant of untagged enum PointsSelector',
    ],
  ];

  // Search, scroll, count and retrieve read their body through `#[serde(flatten)]`, so serde
  // positions every error at the body's closing brace: `{end}` is the body's length.
  it.each(refusals)('refuses %s', async (_, path, body, status, message) => {
    const text = JSON.stringify(body);
    const answer = await rawRequest(standin, 'POST', `/collections/products${path}`, text);

    expect(answer.status).toBe(status);
    const error = message.replace('{end}', String(text.length));
    expect(answer.json).toEqual({ status: { error }, time: 0 });
  });

  it('refuses an upsert body with neither points nor batch', async () => {
    const answer = await rawRequest(standin, 'PUT', '/collections/products/points', { foo: 1 });

    expect(answer.status).toBe(400);
    expect((answer.json as ApiErrorLike['data']).status.error).toBe(
      'Format error in JSON body: Invalid PointInsertOperations format',
    );
  });

  it('refuses a lowercase distance and a zero size as an untagged VectorsConfig', async () => {
    for (const vectors of [
      { size: 4, distance: 'cosine' },
      { size: 0, distance: 'Cosine' },
    ]) {
      const body = JSON.stringify({ vectors });
      const answer = await rawRequest(standin, 'PUT', '/collections/fresh', body);

      expect(answer.status).toBe(400);
      expect((answer.json as ApiErrorLike['data']).status.error).toBe(
        'Format error in JSON body: data did not match any variant of untagged enum ' +
          `VectorsConfig at line 1 column ${body.length}`,
      );
    }
  });

  it('refuses a vector size above 65536 with the validator 422', async () => {
    const body = { vectors: { size: 65_537, distance: 'Cosine' } };
    const answer = await rawRequest(standin, 'PUT', '/collections/fresh', body);

    expect(answer.status).toBe(422);
    expect((answer.json as ApiErrorLike['data']).status.error).toBe(
      'Validation error in JSON body: [vectors.size: value 65537 invalid, must be from 1 to 65536]',
    );
  });

  it('ignores unknown top-level keys, including wait sent in the body', async () => {
    const body = { points: [{ id: 5, vector: [1, 0, 0, 0] }], wait: true, extra: 'x' };
    const answer = await rawRequest(standin, 'PUT', '/collections/products/points', body);

    expect(answer.status).toBe(200);
    expect((answer.json as { result: { status: string } }).result.status).toBe('acknowledged');
    await client.delete('products', { points: [5], wait: true });
  });

  it('validates bodies of unmodelled operations before answering 501', async () => {
    const path = '/collections/products/points/recommend';
    const refused = await rawRequest(standin, 'POST', path, { positive: [1], limit: 'x' });
    const unmodelled = await rawRequest(standin, 'POST', path, { positive: [1], limit: 3 });

    expect(refused.status).toBe(400);
    expect((refused.json as ApiErrorLike['data']).status.error).toMatch(
      /^Format error in JSON body: invalid type: string "x", expected usize/,
    );
    expect(unmodelled.status).toBe(501);
  });

  it('does not look at Content-Type', async () => {
    const answer = await rawRequest(standin, 'POST', '/collections/products/points/count', '{}', {
      'content-type': 'text/plain',
    });

    expect(answer.status).toBe(200);
  });
});

describe('query strings and paths', () => {
  it('refuses wait=yes as a deserialize error', async () => {
    const body = { points: [{ id: 1, vector: [1, 0, 0, 0] }] };
    const answer = await rawRequest(standin, 'PUT', '/collections/products/points?wait=yes', body);

    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({
      status: {
        error: 'Deserialize error in query parameters: provided string was not `true` or `false`',
      },
      time: 0,
    });
  });

  it('refuses timeout=0 with a 422, on collection and point operations alike', async () => {
    const message =
      'Validation error in query parameters: [timeout: value 0 invalid, must be 1 or larger]';

    const create = await rawRequest(standin, 'PUT', '/collections/fresh?timeout=0', {
      vectors: { size: 4, distance: 'Cosine' },
    });
    const count = await rawRequest(
      standin,
      'POST',
      '/collections/products/points/count?timeout=0',
      {},
    );

    for (const answer of [create, count]) {
      expect(answer.status).toBe(422);
      expect((answer.json as ApiErrorLike['data']).status.error).toBe(message);
    }
  });

  it('refuses an unknown write ordering', async () => {
    const answer = await rawRequest(
      standin,
      'POST',
      '/collections/products/points/delete?ordering=x',
      {
        points: [1],
      },
    );

    expect(answer.status).toBe(400);
    expect((answer.json as ApiErrorLike['data']).status.error).toBe(
      'Deserialize error in query parameters: unknown variant `x`, ' +
        'expected one of `weak`, `medium`, `strong`',
    );
  });

  it('refuses collection names Qdrant refuses on create', async () => {
    const body = { vectors: { size: 4, distance: 'Cosine' } };
    const starred = await rawRequest(standin, 'PUT', '/collections/bad*name', body);
    const long = await rawRequest(standin, 'PUT', `/collections/${'n'.repeat(256)}`, body);

    expect(starred.status).toBe(422);
    expect((starred.json as ApiErrorLike['data']).status.error).toBe(
      'Validation error in path parameters: [name: collection name cannot contain "*" char]',
    );
    expect(long.status).toBe(422);
    expect((long.json as ApiErrorLike['data']).status.error).toMatch(
      new RegExp(
        '^Validation error in path parameters: ' +
          '\\[name: value "n+" invalid, must be from 1 to 255 characters\\]$',
      ),
    );
  });

  it('answers an unknown route with an empty 404', async () => {
    const answer = await rawRequest(standin, 'GET', '/no/such/route');

    expect(answer.status).toBe(404);
    expect(answer.text).toBe('');
  });

  it('parses a point id in the URL with FromStr, so "7" is the integer 7', async () => {
    await client.upsert('products', { points: [{ id: 7, vector: [1, 0, 0, 0] }] });

    const found = await rawRequest(standin, 'GET', '/collections/products/points/7');
    const refused = await rawRequest(standin, 'GET', '/collections/products/points/SKU-1');

    expect(found.status).toBe(200);
    expect((found.json as { result: unknown }).result).toEqual({
      id: 7,
      payload: {},
      vector: [1, 0, 0, 0],
    });
    expect(refused.status).toBe(400);
    expect((refused.json as ApiErrorLike['data']).status.error).toBe(
      'Wrong input: Can not recognize "SKU-1" as point id',
    );
    await client.delete('products', { points: [7], wait: true });
  });
});
