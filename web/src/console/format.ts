/** 93 → "1m 33s", 7300 → "2h 1m". */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '–';
  if (seconds < 60) return `${Math.round(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${Math.round(seconds % 60)}s`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86_400)}d ${Math.floor((seconds % 86_400) / 3600)}h`;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const clockFormat = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

export const dateTime = (iso: string | null | undefined): string => (iso ? timeFormat.format(new Date(iso)) : '–');
export const clock = (date: Date | string): string => clockFormat.format(typeof date === 'string' ? new Date(date) : date);

/** Milliseconds as people read them: 0.42 ms, 12.3 ms, 1.25 s. */
export function millis(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(ms < 100 ? 1 : 0)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

export const words = (identifier: string): string => identifier.replace(/_/g, ' ');
