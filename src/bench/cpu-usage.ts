import fs from 'node:fs';
import os from 'node:os';

/**
 * Linux reports process and machine CPU time in USER_HZ ticks, which the kernel fixes at
 * 100 per second for /proc whatever its internal tick rate.
 */
const MS_PER_TICK = 10;

/** CPU use over one timed window: what the measured processes took and what everyone else did. */
export interface CpuWindow {
  /** Wall time of the window, ms. */
  wallMs: number;
  /** CPU time of each measured process, ms; null where /proc could not be read. */
  processMs: (number | null)[];
  /** All measured processes together, in cores (1 = one core busy for the whole window). */
  ownCores: number | null;
  /**
   * Cores busy with anything else on the machine (other engineers' tests, the OS), from
   * /proc/stat minus the measured processes. Null where /proc/stat is absent.
   */
  backgroundCores: number | null;
}

/**
 * Starts measuring the CPU of some processes (by pid) and of the machine; `stop()` ends the
 * window. Reads /proc, so on other systems the figures are null, never guessed.
 */
export function startCpuWindow(pids: number[]): { stop(): CpuWindow } {
  const started = performance.now();
  const machineBefore = machineBusyMs();
  const before = pids.map(processCpuMs);

  return {
    stop() {
      const wallMs = performance.now() - started;
      const machineAfter = machineBusyMs();
      const processMs = pids.map((pid, index) => difference(processCpuMs(pid), before[index]));
      const known = processMs.filter((ms): ms is number => ms !== null);
      const ownMs = known.length === pids.length ? sum(known) : null;
      const machineMs = difference(machineAfter, machineBefore);

      return {
        wallMs,
        processMs,
        ownCores: ownMs === null || wallMs <= 0 ? null : ownMs / wallMs,
        backgroundCores:
          ownMs === null || machineMs === null || wallMs <= 0
            ? null
            : Math.max(0, (machineMs - ownMs) / wallMs),
      };
    },
  };
}

/** User plus system CPU time of a process in ms, or null when it cannot be read. */
export function processCpuMs(pid: number): number | null {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }

  // The command name (field 2) may contain spaces and parentheses, so count from its end.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const userTicks = Number(fields[11]);
  const systemTicks = Number(fields[12]);

  return Number.isFinite(userTicks + systemTicks) ? (userTicks + systemTicks) * MS_PER_TICK : null;
}

/** CPU time the whole machine spent busy (not idle, not waiting on I/O) since boot, ms. */
export function machineBusyMs(): number | null {
  let stat: string;
  try {
    stat = fs.readFileSync('/proc/stat', 'utf8');
  } catch {
    return null;
  }

  const ticks = stat.split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // Steal is time the hypervisor gave to other machines: not work done on this one.
  const [user, nice, system, idle, iowait, irq, softirq] = ticks;
  const busy = user + nice + system + irq + softirq;

  return Number.isFinite(busy + idle + iowait) ? busy * MS_PER_TICK : null;
}

/** The machine as a benchmark report names it. */
export interface MachineInfo {
  cores: number;
  cpuModel: string;
  node: string;
  platform: string;
  memoryGiB: number;
}

export function describeMachine(): MachineInfo {
  return {
    cores: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  };
}

function difference(after: number | null, before: number | null): number | null {
  return after === null || before === null ? null : after - before;
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/** Options of {@link waitForQuiet}. */
export interface QuietOptions {
  /** Go on once other processes use at most this many cores. */
  maxCores: number;
  /** Go on anyway after this long, ms. */
  timeoutMs: number;
  /** Processes of the bench itself, whose CPU is not counted as other load. */
  pids: number[];
  /** Length of each sample, ms. Default 500. */
  sampleMs?: number;
}

/**
 * Waits until the rest of the machine is quiet: other processes below `maxCores` over one
 * sample. On a shared machine this keeps other people's work out of a timed part as far as
 * possible; it gives up after `timeoutMs` and says so. Returns at once off Linux.
 */
export async function waitForQuiet(
  opts: QuietOptions,
): Promise<{ waitedMs: number; quiet: boolean }> {
  const started = performance.now();

  for (;;) {
    const window = startCpuWindow(opts.pids);
    await new Promise((resolve) => setTimeout(resolve, opts.sampleMs ?? 500));
    const { backgroundCores } = window.stop();
    const waitedMs = performance.now() - started;

    if (backgroundCores === null || backgroundCores <= opts.maxCores) {
      return { waitedMs, quiet: true };
    }
    if (waitedMs >= opts.timeoutMs) {
      return { waitedMs, quiet: false };
    }
  }
}
