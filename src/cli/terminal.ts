import ora, { type Ora } from 'ora';

import type { Logger } from '../core/types.js';

/**
 * Where the CLI writes. Human output goes to `out`, messages and errors to `err`; tests
 * swap both for buffers. Colour and spinners appear only when `err` is a terminal.
 */
export interface Terminal {
  out: (text: string) => void;
  err: (text: string) => void;
  isTty: boolean;
}

export const processTerminal: Terminal = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  isTty: Boolean(process.stderr.isTTY),
};

/** A logger that writes a person's lines to stderr; debug lines only with --verbose. */
export function cliLogger(terminal: Terminal, verbose: boolean): Logger {
  const stamp = () => new Date().toISOString().slice(11, 19);
  return {
    info: (message) => terminal.err(`${stamp()} ${message}`),
    warn: (message) => terminal.err(`${stamp()} warning: ${message}`),
    debug: (message) => {
      if (verbose) {
        terminal.err(`${stamp()} ${message}`);
      }
    },
  };
}

/** A progress line for long work, shown only on a terminal and never in --json mode. */
export class Progress {
  private spinner?: Ora;

  constructor(terminal: Terminal, enabled: boolean) {
    // ora redraws forever on a terminal that reports zero columns (seen under `script`).
    if (enabled && terminal.isTty && (process.stderr.columns ?? 0) > 0) {
      this.spinner = ora({ stream: process.stderr }).start();
    }
  }

  update(label: string, done: number, total: number): void {
    if (!this.spinner) {
      return;
    }
    const percent = total > 0 ? Math.floor((done / total) * 100) : 100;
    const width = 24;
    const filled = Math.round((percent / 100) * width);
    this.spinner.text = `${label} ${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${done}/${total} (${percent}%)`;
  }

  stop(): void {
    this.spinner?.stop();
    this.spinner = undefined;
  }
}

/** cli-table3 colours its borders and headers; keep them for terminals only. */
export function tableStyle(): { head: string[]; border: string[] } {
  return process.stdout.isTTY ? { head: ['cyan'], border: ['grey'] } : { head: [], border: [] };
}
