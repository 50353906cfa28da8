/**
 * How commands print: tables and short lines for people, JSON for machines (`--json`: the API's
 * answer as it came, so a script sees every field). Times are UTC, amounts in the currency's
 * own form (core's formatting, integer minor units in, no floats).
 */
import { formatAmount } from '@kassa/core';
import { isCurrency } from '@kassa/core/currencies';

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

export function printJson(io: Io, value: unknown): void {
  io.out(`${JSON.stringify(value, null, 2)}\n`);
}

/** One JSON object per line, for the commands that keep printing (serve, listen). */
export function printJsonLine(io: Io, value: unknown): void {
  io.out(`${JSON.stringify(value)}\n`);
}

/** Columns padded to their widest cell; the last column is not padded. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  if (rows.length === 0) return '';
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}

/** `label  value` lines, labels aligned; null and undefined values are shown as `—`. */
export function fields(entries: ReadonlyArray<readonly [string, unknown]>): string {
  const width = Math.max(...entries.map(([k]) => k.length));
  return `${entries.map(([k, v]) => `${k.padEnd(width)}  ${cell(v)}`).join('\n')}\n`;
}

export function cell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Unix seconds as `YYYY-MM-DD HH:MM:SS` (UTC). */
export function when(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  return new Date(seconds * 1000).toISOString().replace('T', ' ').slice(0, 19);
}

export function money(amount: number, currency: string): string {
  return isCurrency(currency) ? formatAmount(amount, currency) : `${amount} ${currency}`;
}
