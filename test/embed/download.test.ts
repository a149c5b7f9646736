import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ModelError } from '../../src/core/errors.js';
import { loadEmbedder } from '../../src/embed/load-embedder.js';

const TINY_CLIP = resolve('test/fixtures/tiny-clip');

/** Serves the tiny model the way the hub does: /<owner>/<name>/resolve/main/<file>. */
function startHub(requests: string[]): Promise<Server> {
  const server = createServer((request, response) => {
    requests.push(request.url ?? '');

    const match = /^\/idx\/tiny-clip\/resolve\/main\/(.+)$/.exec(request.url ?? '');
    const file = match ? join(TINY_CLIP, decodeURIComponent(match[1])) : '';

    if (!match || !existsSync(file)) {
      response.writeHead(404).end('not found');
      return;
    }

    readFile(file).then((body) => {
      response.writeHead(200, { 'content-length': body.length }).end(body);
    });
  });

  return listen(server);
}

/** Accepts connections and never answers, like a hub behind a broken proxy. */
function startSilentHost(sockets: Socket[]): Promise<Server> {
  const server = createServer(() => {});
  server.on('connection', (socket) => sockets.push(socket));

  return listen(server);
}

function listen(server: Server): Promise<Server> {
  return new Promise((resolveListen) => {
    server.listen(0, '127.0.0.1', () => resolveListen(server));
  });
}

function urlOf(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

describe('loadEmbedder with allowDownload', () => {
  const requests: string[] = [];
  const silentSockets: Socket[] = [];
  let hub: Server;
  let silentHost: Server;
  let cacheDir: string;

  beforeAll(async () => {
    hub = await startHub(requests);
    silentHost = await startSilentHost(silentSockets);
    cacheDir = await mkdtemp(join(tmpdir(), 'idx-cache-'));
  });

  afterAll(async () => {
    silentSockets.forEach((socket) => socket.destroy());
    hub.close();
    silentHost.close();
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('downloads a hub model into the cache, then loads it offline', async () => {
    const online = await loadEmbedder({
      model: 'idx/tiny-clip',
      cacheDir,
      allowDownload: true,
      hubUrl: urlOf(hub),
      threads: 1,
    });

    expect(online.info).toMatchObject({ folder: join(cacheDir, 'idx', 'tiny-clip') });
    expect(await online.embedTexts(['a red shoe'])).toHaveLength(1);
    expect(requests).toContain('/idx/tiny-clip/resolve/main/onnx/vision_model.onnx');
    await online.close();

    const requestsBefore = requests.length;
    const offline = await loadEmbedder({ model: 'idx/tiny-clip', cacheDir, threads: 1 });

    expect(offline.info.dimension).toBe(512);
    expect(await offline.embedTexts(['a red shoe'])).toHaveLength(1);
    expect(requests).toHaveLength(requestsBefore);
    await offline.close();
  });

  it('says when the hub has no such model', async () => {
    const loading = loadEmbedder({
      model: 'idx/unknown',
      cacheDir,
      allowDownload: true,
      hubUrl: urlOf(hub),
    });

    await expect(loading).rejects.toThrow(ModelError);
    await expect(loading).rejects.toThrow(/Cannot download model "idx\/unknown".*HTTP 404/);
  });

  it('gives up on a host that never answers after the download timeout', async () => {
    const started = performance.now();
    const loading = loadEmbedder({
      model: 'idx/silent',
      cacheDir,
      allowDownload: true,
      hubUrl: urlOf(silentHost),
      downloadTimeoutMs: 300,
    });

    await expect(loading).rejects.toThrow(/no response from 127\.0\.0\.1:\d+ within 300 ms/);
    expect(performance.now() - started).toBeLessThan(3000);
  });
});
