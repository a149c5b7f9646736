import { errorMessage } from '../core/errors.js';
import { withTimeout } from '../util/concurrency.js';
import type { CheckName, CheckResult, FigureValue, Finding } from './types.js';

/**
 * The run's time budget. Every step gets its own cap, but never more than what is left
 * before `--timeout`, minus a reserve for closing connections and printing the report.
 */
export class Deadline {
  private readonly started = performance.now();

  constructor(
    readonly totalMs: number,
    /** The command to suggest when the time ran out, e.g. `idx diagnose ... --timeout 60`. */
    readonly moreTimeCommand = `idx diagnose --timeout ${Math.round(totalMs / 500)}`,
    readonly reserveMs = Math.min(1500, Math.round(totalMs * 0.1)),
  ) {}

  private interruptedAt?: number;

  elapsedMs(): number {
    return performance.now() - this.started;
  }

  remainingMs(): number {
    const end = this.interruptedAt ?? this.totalMs;
    return end - this.elapsedMs();
  }

  /** Ends the run early (Ctrl-C): what is waiting gives up, leaving the reserve for clean-up. */
  interrupt(): void {
    this.interruptedAt ??= this.elapsedMs() + this.reserveMs;
  }

  /** How long the next step may take: its cap, within the deadline. */
  budget(capMs: number): number {
    return Math.max(0, Math.floor(Math.min(capMs, this.remainingMs() - this.reserveMs)));
  }
}

/** What a check gets: its budget, where to put figures as it measures them, and an abort hook. */
export interface CheckScope {
  budgetMs: number;
  figures: Record<string, FigureValue>;
  signal: AbortSignal;
  /** Runs when the check runs out of time, to drop sockets it holds. */
  onAbort(fn: () => void): void;
}

export interface CheckSpec {
  name: CheckName;
  title: string;
  /** The check's own timeout, ms (cut further by the run's deadline). */
  capMs: number;
  run(scope: CheckScope): Promise<Finding[]>;
  /** The finding when the check did not finish within its budget. */
  onTimeout(budgetMs: number, figures: Record<string, FigureValue>): Finding;
}

class CheckTimeout extends Error {}

/**
 * Runs a check within its budget. A check that throws or runs out of time becomes a failed
 * check with what it had measured so far; the run goes on either way.
 */
export async function runCheck(deadline: Deadline, spec: CheckSpec): Promise<CheckResult> {
  const started = performance.now();
  const budgetMs = deadline.budget(spec.capMs);
  const controller = new AbortController();
  const aborts: Array<() => void> = [];
  const scope: CheckScope = {
    budgetMs,
    figures: {},
    signal: controller.signal,
    onAbort: (fn) => aborts.push(fn),
  };

  let findings: Finding[];
  if (budgetMs < 100) {
    findings = [outOfTime(deadline)];
  } else {
    try {
      findings = await withTimeout(spec.run(scope), budgetMs, () => new CheckTimeout());
    } catch (err) {
      controller.abort();
      for (const abort of aborts) {
        try {
          abort();
        } catch {
          // Dropping a socket that is already gone is fine.
        }
      }
      findings = [
        err instanceof CheckTimeout
          ? spec.onTimeout(budgetMs, scope.figures)
          : {
              status: 'fail',
              symptom: `The ${spec.title} check stopped with an error: ${errorMessage(err)}`,
              cause: 'an unexpected error inside idx diagnose',
              fix: [
                '# run again with IDX_DEBUG=1 for the stack, and report it',
                'IDX_DEBUG=1 idx diagnose',
              ],
            },
      ];
    }
  }

  return checkResult(spec.name, spec.title, scope.figures, findings, performance.now() - started);
}

export function checkResult(
  name: CheckName,
  title: string,
  figures: Record<string, FigureValue>,
  findings: Finding[],
  ms: number,
): CheckResult {
  const sorted = [...findings].sort((a, b) => rank(b.status) - rank(a.status));
  const worst = sorted[0];
  return {
    name,
    title,
    status: worst ? worst.status : 'ok',
    seconds: Math.round(ms) / 1000,
    figures,
    symptom: worst?.symptom ?? null,
    cause: worst?.cause ?? null,
    fix: worst?.fix ?? null,
    findings: sorted,
  };
}

function rank(status: 'ok' | 'warn' | 'fail'): number {
  return status === 'fail' ? 2 : status === 'warn' ? 1 : 0;
}

export function outOfTime(deadline: Deadline): Finding {
  const seconds = Math.round(deadline.totalMs / 1000);
  return {
    status: 'fail',
    symptom: `Not checked: the run's --timeout of ${seconds} s ran out before this check.`,
    cause: 'earlier checks used the time (a slow or silent server, or a slow model load)',
    fix: ['# fix the failures above, or allow more time', deadline.moreTimeCommand],
  };
}

/** ms since a `performance.now()` reading, to 0.01 ms. */
export function since(start: number): number {
  return Math.round((performance.now() - start) * 100) / 100;
}
