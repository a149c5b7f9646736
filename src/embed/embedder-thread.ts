/**
 * The body of the thread a {@link ThreadedEmbedder} starts: loads the model with
 * `loadEmbedder` and answers embedding requests one at a time. Test-free glue; the logic
 * lives in load-embedder.ts and threaded-embedder.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';

import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/types.js';
import type { Embedder } from './embedder.js';
import { type LoadEmbedderOptions, loadEmbedder } from './load-embedder.js';
import type { ThreadReply, ThreadRequest } from './thread-messages.js';

const port = parentPort!;
const send = (reply: ThreadReply, transfer: ArrayBuffer[] = []) =>
  port.postMessage(reply, transfer);

const logger: Logger = {
  info: (message) => send({ type: 'log', level: 'info', message }),
  warn: (message) => send({ type: 'log', level: 'warn', message }),
  debug: (message) => send({ type: 'log', level: 'debug', message }),
};

let embedder: Embedder;
try {
  embedder = await loadEmbedder({ ...(workerData as LoadEmbedderOptions), logger });
  send({ type: 'ready', info: embedder.info, preprocess: embedder.preprocess });
} catch (err) {
  send({ type: 'failed', error: serialise(err) });
  process.exit(0);
}

// Requests run one after another: a second model call would only wait for the first.
let queue = Promise.resolve();
port.on('message', (request: ThreadRequest) => {
  queue = queue.then(() => answer(request));
});

async function answer(request: ThreadRequest): Promise<void> {
  if (request.type === 'close') {
    await embedder.close();
    port.close();
    return;
  }

  try {
    const vectors =
      request.type === 'images'
        ? await embedder.embedImages(request.pixels)
        : await embedder.embedTexts(request.texts);
    send(
      { type: 'vectors', id: request.id, vectors },
      vectors.map((v) => v.buffer as ArrayBuffer),
    );
  } catch (err) {
    send({ type: 'error', id: request.id, error: serialise(err) });
  }
}

function serialise(err: unknown) {
  const { name, code, exitCode } = err as { name?: string; code?: string; exitCode?: number };
  return { name: name ?? 'Error', message: errorMessage(err), code, exitCode };
}
