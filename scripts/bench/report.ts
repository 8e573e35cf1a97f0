/**
 * Output of benchmarks: tables for the terminal and for Markdown, the machine-readable JSON, and
 * docs/benchmarks.md, where each benchmark owns one marked section so that running one benchmark
 * does not erase another's figures.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { MachineFacts } from './machine.js';

export type Cell = string | number;

export interface Table {
  headers: string[];
  rows: Cell[][];
}

/** A number for a table: fixed decimals, '–' when it is missing (NaN). */
export function fmt(value: number, decimals = 1): string {
  return Number.isFinite(value) ? value.toFixed(decimals) : '–';
}

export function pass(ok: boolean): string {
  return ok ? 'PASS' : 'MISS';
}

/** Numbers line up on the right; a column with any text in it reads better on the left. */
function isNumericColumn(rows: Cell[][], column: number): boolean {
  return rows.every((row) => /^([-+]?\d[\d.,]*|–)$/.test(String(row[column])));
}

export function markdownTable({ headers, rows }: Table): string {
  const line = (cells: Cell[]) => `| ${cells.map((c) => String(c).replaceAll('|', '\\|')).join(' | ')} |`;
  const rule = `|${headers.map((_, i) => (isNumericColumn(rows, i) ? ' ---: ' : ' --- ')).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

export function textTable({ headers, rows }: Table): string {
  const cells = [headers, ...rows].map((row) => row.map(String));
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => row[i]?.length ?? 0)));
  const numeric = headers.map((_, i) => isNumericColumn(rows, i));
  const render = (row: string[]) => row.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [render(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(render)].join('\n');
}

export function machineTable(facts: MachineFacts): Table {
  return {
    headers: ['machine', ''],
    rows: [
      ['CPU', facts.cpuModel],
      ['cores', facts.cores],
      ['memory', `${facts.totalMemoryGiB} GiB`],
      ['kernel', facts.kernel],
      ['node', facts.node],
      ['onnxruntime-node', facts.onnxruntimeNode],
      ['sharp', facts.sharp],
      ['commit', facts.commit],
      ['date', facts.date],
    ],
  };
}

export function writeJson(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

const MACHINE_SECTION = 'machine';

function marked(id: string, body: string): string {
  return `<!-- bench:${id}:start -->\n${body.trim()}\n<!-- bench:${id}:end -->`;
}

/** Puts `body` in section `id` of `text`, replacing that section if it is there, else appending it. */
function withSection(text: string, id: string, body: string): string {
  const pattern = new RegExp(`<!-- bench:${id}:start -->[\\s\\S]*?<!-- bench:${id}:end -->`);
  return pattern.test(text) ? text.replace(pattern, () => marked(id, body)) : `${text.trimEnd()}\n\n${marked(id, body)}\n`;
}

const HEADER = `# Benchmarks

Written by \`npm run bench\` (scripts/bench.ts); each section is replaced by the run that measured it.
Machine-readable results are in \`bench-results/\` (not committed). The machine below is the one of
the latest run; each section names its own date.`;

/**
 * Writes `body` as section `id` of the Markdown report `file`, after the machine facts of this
 * run, keeping every other benchmark's section.
 */
export function writeMarkdownSection(file: string, id: string, body: string, facts: MachineFacts): void {
  let text = existsSync(file) ? readFileSync(file, 'utf8') : HEADER;
  text = withSection(text, MACHINE_SECTION, `## Machine\n\n${markdownTable(machineTable(facts))}`);
  text = withSection(text, id, body);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text.endsWith('\n') ? text : `${text}\n`);
}
