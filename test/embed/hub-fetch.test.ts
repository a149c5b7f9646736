import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createTimeoutFetch, describeDownloadFailure } from '../../src/embed/hub-fetch.js';

/** /ok answers at once; /silent never answers; /stall sends headers and one chunk, then stops. */
function startServer(sockets: Socket[]): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.url === '/ok') {
      response.end('hello');
      return;
    }

    if (request.url === '/stall') {
      response.writeHead(200, { 'content-length': '100' });
      response.write('partial');
    }
  });
  server.on('connection', (socket) => sockets.push(socket));

  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('createTimeoutFetch', () => {
  const sockets: Socket[] = [];
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = await startServer(sockets);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => {
    sockets.forEach((socket) => socket.destroy());
    server.close();
  });

  it('passes a prompt response through, body included', async () => {
    const response = await createTimeoutFetch(1000)(`${base}/ok`);

    expect(response.status).toBe(200);
    expect(await response.text()).toBe('hello');
  });

  it('fails when no headers arrive in time', async () => {
    const started = performance.now();

    await expect(createTimeoutFetch(200)(`${base}/silent`)).rejects.toThrow(
      /no response from 127\.0\.0\.1:\d+ within 200 ms/,
    );
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('fails when the body stops arriving', async () => {
    const response = await createTimeoutFetch(200)(`${base}/stall`);

    await expect(response.text()).rejects.toThrow(/stalled for 200 ms/);
  });
});

describe('describeDownloadFailure', () => {
  it('explains statuses and network codes', () => {
    const notFound = Object.assign(new Error('Could not locate file'), { status: 404 });
    const offline = new TypeError('fetch failed', {
      cause: Object.assign(new Error('getaddrinfo ENOTFOUND huggingface.co'), {
        code: 'ENOTFOUND',
      }),
    });

    expect(describeDownloadFailure(notFound)).toMatch(/HTTP 404/);
    expect(describeDownloadFailure(offline)).toMatch(/cannot be resolved.*ENOTFOUND/);
    expect(describeDownloadFailure(new Error('odd'))).toBe('odd');
  });
});
