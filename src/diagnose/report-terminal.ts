import Table from 'cli-table3';

import { tableStyle } from '../cli/terminal.js';
import { type Block, buildReport } from './report-model.js';
import type { CheckStatus, DiagnoseReport, Verdict } from './types.js';

export interface TerminalOptions {
  /** ANSI colours; only on a terminal, and never with NO_COLOR. */
  colour: boolean;
  /** Wrap tables to this many columns. */
  width: number;
}

const CODES = { green: 32, yellow: 33, red: 31, bold: 1, dim: 2, cyan: 36 } as const;
type Colour = keyof typeof CODES;
const STATUS_COLOUR: Record<CheckStatus, Colour> = { ok: 'green', warn: 'yellow', fail: 'red' };
const VERDICT_COLOUR: Record<Verdict, Colour> = {
  working: 'green',
  'partially working': 'yellow',
  broken: 'red',
};

/** The report for a person at a terminal: tables, and colour when `colour` is on. */
export function renderTerminal(report: DiagnoseReport, opts: TerminalOptions): string {
  const paint = (colour: Colour, text: string) =>
    opts.colour ? `\u001b[${CODES[colour]}m${text}\u001b[0m` : text;
  const status = (s: CheckStatus) => paint(STATUS_COLOUR[s], s.toUpperCase());
  const out: string[] = [];

  for (const block of buildReport(report)) {
    out.push(renderBlock(block, report.verdict, paint, status, opts.width));
  }
  return out.join('\n');
}

function renderBlock(
  block: Block,
  verdict: Verdict,
  paint: (colour: Colour, text: string) => string,
  status: (s: CheckStatus) => string,
  width: number,
): string {
  switch (block.kind) {
    case 'heading':
      if (block.level === 1) {
        return paint('bold', paint(VERDICT_COLOUR[verdict], `== ${block.text} ==`));
      }
      if (block.status) {
        const title = block.text.replace(/: [A-Z]+$/, '');
        return `\n${paint('bold', title)}: ${status(block.status)}`;
      }
      return `\n${paint('bold', block.level === 2 ? block.text.toUpperCase() : block.text)}`;
    case 'paragraph':
      return block.text;
    case 'status':
      return `${status(block.status)} ${block.text}`;
    case 'table':
      return table(block.head, block.rows, width, status);
    case 'list':
      return block.items
        .map((item, i) => `${block.ordered ? `${i + 1}.` : '-'} ${item}`)
        .join('\n');
    case 'checklist':
      return block.items
        .map((item) =>
          item.ok === null
            ? `${paint('dim', '?')} ${item.text} (not checked)`
            : `${item.ok ? paint('green', '✔') : paint('red', '✘')} ${item.text}`,
        )
        .join('\n');
    case 'finding': {
      const { finding } = block;
      return [
        `${block.number}. ${status(finding.status)} (${block.check}) ${finding.symptom}`,
        `   cause: ${finding.cause}`,
        '   fix:',
        ...finding.fix.map((line) =>
          line.startsWith('#') ? `     ${paint('dim', line)}` : `     ${paint('cyan', line)}`,
        ),
      ].join('\n');
    }
  }
}

function table(
  head: string[],
  rows: string[][],
  width: number,
  status: (s: CheckStatus) => string,
): string {
  const widths = head.map(
    (title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)) + 2,
  );
  const border = head.length + 1;
  let total = widths.reduce((sum, w) => sum + w, 0) + border;
  while (total > width) {
    const widest = widths.indexOf(Math.max(...widths));
    if (widths[widest] <= 16) {
      break;
    }
    const cut = Math.min(total - width, widths[widest] - 16);
    widths[widest] -= cut;
    total -= cut;
  }

  const t = new Table({
    head,
    style: tableStyle(),
    colWidths: widths,
    wordWrap: true,
    wrapOnWordBoundary: true,
  });
  for (const row of rows) {
    t.push(
      row.map((cell) =>
        /^(OK|WARN|FAIL)$/.test(cell) ? status(cell.toLowerCase() as CheckStatus) : cell,
      ),
    );
  }
  return t.toString();
}
