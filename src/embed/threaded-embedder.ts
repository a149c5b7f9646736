import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import { ConfigError, IdxError, ModelError } from '../core/errors.js';
import { type Logger, silentLogger } from '../core/types.js';
import type { Embedder, ModelInfo, PixelTensor, PreprocessSpec } from './embedder.js';
import { type LoadEmbedderOptions, loadEmbedder } from './load-embedder.js';
import type { ThreadError, ThreadReply, ThreadRequest } from './thread-messages.js';

const THREAD_SCRIPT = new URL('./embedder-thread.js', import.meta.url);

/**
 * Loads the model on its own thread when the compiled thread script is there (the built
 * CLI), otherwise in this thread (e.g. when run from TypeScript sources by a test runner).
 */
export async function loadThreadedEmbedder(opts: LoadEmbedderOptions): Promise<Embedder> {
  if (!fs.existsSync(fileURLToPath(THREAD_SCRIPT))) {
    return loadEmbedder(opts);
  }
  return ThreadedEmbedder.start(opts);
}

/**
 * An {@link Embedder} whose model runs on a worker thread.
 *
 * onnxruntime-node runs inference on the calling thread and blocks it for the whole batch
 * (about 240 ms for a q8 ViT-B/32 batch of 8 here). A worker that embeds on its main
 * thread can neither start decoding the next batch nor take jobs and record outcomes
 * meanwhile; on its own thread the model overlaps with all of that.
 */
export class ThreadedEmbedder implements Embedder {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (v: Float32Array[]) => void; reject: (e: Error) => void }
  >();
  private closed = false;

  private constructor(
    private readonly thread: Worker,
    readonly info: ModelInfo,
    readonly preprocess: PreprocessSpec,
  ) {
    thread.on('message', (reply: ThreadReply) => this.onReply(reply));
    thread.on('error', (err) => this.failAll(err));
    thread.on('exit', () => this.failAll(new Error('the embedding thread exited')));
  }

  static start(opts: LoadEmbedderOptions): Promise<ThreadedEmbedder> {
    const { logger = silentLogger, ...data } = opts;
    const thread = new Worker(THREAD_SCRIPT, { workerData: data });

    return new Promise((resolve, reject) => {
      const onStart = (reply: ThreadReply) => {
        if (reply.type === 'log') {
          log(logger, reply);
        } else if (reply.type === 'ready') {
          thread.off('message', onStart);
          const embedder = new ThreadedEmbedder(thread, reply.info, reply.preprocess);
          thread.on('message', (later: ThreadReply) => later.type === 'log' && log(logger, later));
          resolve(embedder);
        } else if (reply.type === 'failed') {
          void thread.terminate();
          reject(rebuild(reply.error));
        }
      };
      thread.on('message', onStart);
      thread.once('error', reject);
    });
  }

  embedImages(pixels: PixelTensor[]): Promise<Float32Array[]> {
    if (pixels.length === 0) {
      return Promise.resolve([]);
    }
    // The pixels are not used again after this call, so their memory moves, not copies.
    return this.request(
      { type: 'images', id: this.nextId++, pixels },
      pixels.map((p) => p.buffer as ArrayBuffer),
    );
  }

  embedTexts(texts: string[]): Promise<Float32Array[]> {
    return this.request({ type: 'texts', id: this.nextId++, texts });
  }

  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;

    const exited = new Promise((resolve) => this.thread.once('exit', resolve));
    this.thread.postMessage({ type: 'close' } satisfies ThreadRequest);
    const timer = setTimeout(() => void this.thread.terminate(), 5000);
    await exited;
    clearTimeout(timer);
  }

  private request(request: ThreadRequest & { id: number }, transfer: ArrayBuffer[] = []) {
    if (this.closed) {
      return Promise.reject(new Error('the embedder has been closed'));
    }

    return new Promise<Float32Array[]>((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject });
      this.thread.postMessage(request, transfer);
    });
  }

  private onReply(reply: ThreadReply): void {
    if (reply.type !== 'vectors' && reply.type !== 'error') {
      return;
    }

    const waiting = this.pending.get(reply.id);
    this.pending.delete(reply.id);
    if (reply.type === 'vectors') {
      waiting?.resolve(reply.vectors);
    } else {
      waiting?.reject(rebuild(reply.error));
    }
  }

  private failAll(err: Error): void {
    for (const { reject } of this.pending.values()) {
      reject(err);
    }
    this.pending.clear();
  }
}

function log(logger: Logger, reply: Extract<ThreadReply, { type: 'log' }>): void {
  logger[reply.level](reply.message);
}

// Errors cross the thread boundary as plain data; give callers back the classes they act on.
function rebuild(error: ThreadError): Error {
  if (error.name === 'ModelError' || error.code === 'MODEL_UNAVAILABLE') {
    return new ModelError(error.message);
  }
  if (error.name === 'ConfigError') {
    return new ConfigError(error.message);
  }
  if (error.code) {
    return new IdxError(error.message, { code: error.code, exitCode: error.exitCode });
  }
  return new Error(error.message);
}
