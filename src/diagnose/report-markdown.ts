import { type Block, buildReport } from './report-model.js';
import type { DiagnoseReport } from './types.js';

const MARK = { ok: '✅', warn: '⚠️', fail: '❌' } as const;

/** The report as GitHub-flavoured Markdown: the same content as the terminal report. */
export function renderMarkdown(report: DiagnoseReport): string {
  const out: string[] = [];
  for (const block of buildReport(report)) {
    out.push(renderBlock(block), '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function renderBlock(block: Block): string {
  switch (block.kind) {
    case 'heading':
      return `${'#'.repeat(block.level)} ${block.status ? `${MARK[block.status]} ` : ''}${block.text}`;
    case 'paragraph':
      return block.text;
    case 'status':
      return `${MARK[block.status]} **${block.status.toUpperCase()}**: ${block.text}`;
    case 'table':
      return table(block.head, block.rows);
    case 'list':
      return block.items
        .map((item, i) => `${block.ordered ? `${i + 1}.` : '-'} ${item}`)
        .join('\n');
    case 'checklist':
      return block.items
        .map(
          (item) =>
            `- [${item.ok ? 'x' : ' '}] ${item.text}${item.ok === null ? ' (not checked)' : ''}`,
        )
        .join('\n');
    case 'finding': {
      const { finding } = block;
      return [
        `${block.number}. ${MARK[finding.status]} **${finding.status.toUpperCase()}** (${block.check}): ${finding.symptom}`,
        '',
        `   Cause: ${finding.cause}.`,
        '',
        '   Fix:',
        '',
        '   ```sh',
        ...finding.fix.map((line) => `   ${line}`),
        '   ```',
      ].join('\n');
    }
  }
}

function table(head: string[], rows: string[][]): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  return [
    `| ${head.map(cell).join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ].join('\n');
}
