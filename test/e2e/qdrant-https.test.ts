/**
 * Qdrant over https with an API key: a TLS front (self-signed, trusted through
 * NODE_EXTRA_CA_CERTS) passes requests to the stand-in. The key must reach the server
 * and never appear in what idx prints.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { TINY_CLIP, runIdxJson, tempDir } from '../support/cli.js';
import { type QdrantStandin, startQdrantStandin } from '../support/qdrant-standin/server.js';

const KEY = 'tls-secret-key-42';
let standin: QdrantStandin;
let front: https.Server;
let certFile: string;

beforeAll(async () => {
  standin = await startQdrantStandin({ apiKey: KEY });
  const dir = tempDir('idx-tls-');
  certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );

  front = https.createServer(
    { key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile) },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk) => chunks.push(chunk));
      req.on('end', async () => {
        const body = Buffer.concat(chunks);
        const answer = await fetch(`${standin.url}${req.url}`, {
          method: req.method,
          headers: req.headers as Record<string, string>,
          body: body.length > 0 ? body : undefined,
        });
        res.writeHead(answer.status, Object.fromEntries(answer.headers));
        res.end(Buffer.from(await answer.arrayBuffer()));
      });
    },
  );
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  front.close();
  await standin.close();
});

it('indexes and searches through https with the API key, which is never printed', async () => {
  const port = (front.address() as { port: number }).port;
  const url = `https://127.0.0.1:${port}`;
  const env = { NODE_EXTRA_CA_CERTS: certFile, QDRANT_API_KEY: KEY };
  const common = ['--qdrant-url', url, '--collection', 'tls', '--model', TINY_CLIP];
  const images = path.resolve(__dirname, '../../examples/products/hat');

  const enqueue = await runIdxJson(
    ['enqueue', images, '--redis-url', 'redis://127.0.0.1:1', ...common],
    env,
  );
  const search = await runIdxJson<{ hits: unknown[] }>(
    ['search', '--text', 'a hat', ...common],
    env,
  );

  expect(enqueue.json).toMatchObject({ mode: 'sync', indexed: 2, failed: 0 });
  expect(search.json.hits).toHaveLength(2);
  expect(standin.pointCount('tls')).toBe(2);
  expect(JSON.stringify([enqueue, search])).not.toContain(KEY);
});
