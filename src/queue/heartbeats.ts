import os from 'node:os';

import type { Redis } from 'ioredis';

import { queueKeys } from './keys.js';

/** How often a worker reports in, ms. */
export const HEARTBEAT_INTERVAL_MS = 2000;

/** A worker silent for longer than this is not live. */
export const HEARTBEAT_STALE_MS = 5 * HEARTBEAT_INTERVAL_MS;

/** Entries of workers silent for this long are dropped from the registry. */
const FORGET_AFTER_MS = 24 * 3600_000;

/** What a worker says about itself in each heartbeat. */
export interface WorkerBeat {
  id: string;
  host: string;
  pid: number;
  startedAt: string;
  lastSeen: string;
  /** Jobs finished (indexed, skipped or failed) by this worker. */
  processed: number;
  failed: number;
  /** Jobs it holds right now. */
  active: number;
  state: 'starting' | 'running' | 'stopping';
  model: string;
  /** Mean ms per image over its last batches, 0 before the first batch. */
  msPerImage: number;
}

export interface WorkerStatus extends WorkerBeat {
  /** Milliseconds since the last heartbeat. */
  ageMs: number;
  live: boolean;
}

/** The worker registry in Redis: heartbeats in, live workers out. */
export class Heartbeats {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    queue: string,
  ) {
    this.key = queueKeys(queue).workers;
  }

  async beat(beat: Omit<WorkerBeat, 'host' | 'pid' | 'lastSeen'>): Promise<void> {
    const full: WorkerBeat = {
      ...beat,
      host: os.hostname(),
      pid: process.pid,
      lastSeen: new Date().toISOString(),
    };
    await this.redis.hset(this.key, beat.id, JSON.stringify(full));
  }

  async remove(workerId: string): Promise<void> {
    await this.redis.hdel(this.key, workerId);
  }

  /** Every registered worker, newest heartbeat first; forgets day-old entries. */
  async list(now = Date.now()): Promise<WorkerStatus[]> {
    const raw = await this.redis.hgetall(this.key);
    const workers: WorkerStatus[] = [];

    for (const [id, json] of Object.entries(raw)) {
      const beat = JSON.parse(json) as WorkerBeat;
      const ageMs = now - Date.parse(beat.lastSeen);
      if (ageMs > FORGET_AFTER_MS) {
        await this.redis.hdel(this.key, id);
        continue;
      }
      workers.push({ ...beat, ageMs, live: ageMs <= HEARTBEAT_STALE_MS });
    }

    return workers.sort((a, b) => a.ageMs - b.ageMs);
  }
}
