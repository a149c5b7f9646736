import os from 'node:os';

import type { Heartbeats } from '../queue/heartbeats.js';
import { sleep } from '../util/concurrency.js';

/**
 * ONNX intra-op threads for a worker: the host's cores shared among the live workers on
 * this host, at least one. Two threads per process lose to one when another process holds
 * a core, so oversubscribing is worse than leaving a core idle.
 *
 * Workers started together register first and count a moment later, so each sees the
 * others. Limitation: a worker started later does not make earlier ones give threads back.
 */
export async function chooseWorkerThreads(
  heartbeats: Heartbeats,
  workerId: string,
  settleMs = 400,
): Promise<number> {
  await sleep(settleMs);
  const host = os.hostname();
  const workers = await heartbeats.list();
  const onThisHost = workers.filter((w) => w.live && (w.host === host || w.id === workerId));
  return threadsFor(os.availableParallelism(), Math.max(1, onThisHost.length));
}

/** Cores divided among processes, rounded down, never below one. */
export function threadsFor(cores: number, processes: number): number {
  return Math.max(1, Math.floor(cores / processes));
}
