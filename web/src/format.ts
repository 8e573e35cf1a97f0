/** Small formatting helpers shared by the pages. */

export const ms = (value: number | null | undefined): string =>
  value === null || value === undefined ? '–' : value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(value < 10 ? 1 : 0)} ms`;

export const mb = (value: number | undefined): string => (value === undefined ? '–' : value >= 1024 ? `${(value / 1024).toFixed(1)} GiB` : `${Math.round(value)} MiB`);

export const pct = (value: number): string => `${(value * 100).toFixed(0)}%`;

export function duration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
  return `${Math.floor(seconds / 86400)} d`;
}

/** "12 s ago", "3 min ago", or the date for older times. */
export function ago(iso: string, now = Date.now()): string {
  const seconds = (now - Date.parse(iso)) / 1000;
  if (seconds < 5) return 'just now';
  if (seconds < 86400) return `${duration(seconds)} ago`;
  return new Date(iso).toLocaleString();
}

export const modelAlias = (model: unknown): string =>
  typeof model === 'string' ? model : typeof model === 'object' && model !== null && 'alias' in model ? String((model as { alias: unknown }).alias) : '';
