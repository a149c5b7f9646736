/**
 * Test code: runs the Qdrant stand-in on its own for manual experiments, e.g.
 *
 *   npm run qdrant-standin -- --port 6333 --api-key secret
 *
 * It listens on 127.0.0.1 only and stops on Ctrl-C.
 */
import { parseArgs } from 'node:util';

import { startQdrantStandin } from './server.js';

const USAGE =
  'usage: npm run qdrant-standin -- [--port <port>] [--api-key <key>] ' +
  '[--read-only-api-key <key>] [--version <x.y.z>]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '6333' },
      'api-key': { type: 'string' },
      'read-only-api-key': { type: 'string' },
      version: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });

  if (values.help) {
    console.log(USAGE);
    return;
  }

  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`--port must be a whole number from 0 to 65535, got "${values.port}"`);
  }

  const standin = await startQdrantStandin({
    port,
    apiKey: values['api-key'],
    readOnlyApiKey: values['read-only-api-key'],
    version: values.version,
  });
  console.log(`qdrant stand-in (test code) listening on ${standin.url}`);

  const stop = () => {
    void standin.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  console.error(USAGE);
  process.exitCode = 1;
});
