/**
 * The shapes `idx diagnose` produces. The JSON output is {@link DiagnoseReport} as it is;
 * the terminal and Markdown reports are renderings of the same object.
 */

export type CheckStatus = 'ok' | 'warn' | 'fail';

export type CheckName = 'redis' | 'workers' | 'store' | 'model' | 'probe';

export type Verdict = 'working' | 'partially working' | 'broken';

/** A measured figure: a number, a word, or a small table (a list of flat records). */
export type FigureValue =
  string | number | boolean | null | Array<Record<string, string | number | boolean | null>>;

/** One thing found wrong: what the user sees, why, and the commands that fix it. */
export interface Finding {
  status: 'warn' | 'fail';
  symptom: string;
  cause: string;
  /** Shell lines the user can run; lines starting with `#` explain the next one. */
  fix: string[];
}

export interface CheckResult {
  name: CheckName;
  /** Heading for humans, e.g. "Redis". */
  title: string;
  /** The worst of the findings; ok when there are none. */
  status: CheckStatus;
  /** Wall time of the check. */
  seconds: number;
  figures: Record<string, FigureValue>;
  /** The worst finding's symptom, cause and fix; null when ok. */
  symptom: string | null;
  cause: string | null;
  fix: string[] | null;
  /** Every finding, worst first. */
  findings: Finding[];
}

export interface ProbeStep {
  step: string;
  ms: number;
}

export interface ProbeResult {
  /** `queue` through Redis and a worker, `sync` through the in-process fallback. */
  mode: 'queue' | 'sync' | 'skipped';
  jobId: string | null;
  pointId: string;
  image: string;
  /** "queued" with Redis, "indexed" through the synchronous fallback, else what happened. */
  statusAfterEnqueue: string | null;
  /** The probe's last known state: indexed, failed, queued, active, retrying, skipped. */
  finalState: string | null;
  /** True when the probe image was indexed (by a worker or the fallback). */
  completed: boolean;
  /** True when searching with the probe's own embedding ranks its point first. */
  findable: boolean;
  rank: number | null;
  score: number | null;
  /** Why it failed or was skipped, when it did not complete. */
  reason: string | null;
  /** Enqueue to found, in seconds. */
  seconds: number;
  steps: ProbeStep[];
  /** What diagnose removed again, and anything it could not remove. */
  cleanup: { removed: string[]; leftBehind: string[] };
}

export interface LiveWorkerFigure {
  id: string;
  state: string;
  active: number;
  processed: number;
  msPerImage: number;
  [key: string]: string | number;
}

export interface Performance {
  /** One job saved to Redis, ms. */
  enqueueMs: number | null;
  /** One image through the in-process path, ms, and what it was measured on. */
  syncMsPerItem: number | null;
  syncItemsPerSecond: number | null;
  syncMeasuredBy: string | null;
  /** Mean ms per image the live workers report in their heartbeats. */
  workerMsPerItem: number | null;
  /** The probe from enqueue to recorded outcome through a worker, ms. */
  workerProbeMs: number | null;
  /** Jobs finished per minute on this queue over the last minute. */
  queueRatePerMinute: number | null;
  liveWorkers: LiveWorkerFigure[];
}

export interface ChecklistItem {
  item: string;
  /** null when it could not be checked (e.g. Redis unreachable). */
  ok: boolean | null;
}

export interface Problem extends Finding {
  check: CheckName;
}

export interface DiagnoseReport {
  verdict: Verdict;
  /** One sentence saying why the verdict is what it is. */
  verdictReason: string;
  startedAt: string;
  seconds: number;
  timeoutSeconds: number;
  settings: {
    redis: string;
    store: 'sqlite' | 'qdrant';
    storeLocation: string;
    collection: string;
    queue: string;
    model: string;
    image: string;
  };
  checks: CheckResult[];
  probe: ProbeResult;
  performance: Performance;
  problems: Problem[];
  checklist: ChecklistItem[];
  nextSteps: string[];
}
