import type { ModelInfo, PreprocessSpec } from './embedder.js';

/** An error as it crosses the thread boundary; rebuilt by name and code on the other side. */
export interface ThreadError {
  name: string;
  message: string;
  code?: string;
  exitCode?: number;
}

export type ThreadRequest =
  | { type: 'images'; id: number; pixels: Float32Array[] }
  | { type: 'texts'; id: number; texts: string[] }
  | { type: 'close' };

export type ThreadReply =
  | { type: 'ready'; info: ModelInfo; preprocess: PreprocessSpec }
  | { type: 'failed'; error: ThreadError }
  | { type: 'vectors'; id: number; vectors: Float32Array[] }
  | { type: 'error'; id: number; error: ThreadError }
  | { type: 'log'; level: 'info' | 'warn' | 'debug'; message: string };
