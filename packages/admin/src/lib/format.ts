const numberFormat = new Intl.NumberFormat("en-US");
const oneDecimal = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });

export const formatNumber = (value: number): string => numberFormat.format(value);
export const formatDecimal = (value: number | null | undefined): string =>
  value === null || value === undefined ? "—" : oneDecimal.format(value);

/** DATA_SCIENCE -> "Data science" */
export function label(value: string): string {
  const words = value.toLowerCase().replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Seconds as "1 h 05 min", "12 min", "40 s". */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

export function formatBytes(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : oneDecimal.format(value)} ${units[unit]}`;
}

const dateTime = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short" });
const dateOnly = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium" });

export const formatDateTime = (value: Date | string | null | undefined): string =>
  value ? dateTime.format(new Date(value)) : "—";
export const formatDate = (value: Date | string | null | undefined): string =>
  value ? dateOnly.format(new Date(value)) : "—";

const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

/** "3 minutes ago", "yesterday": how old a figure is. */
export function formatAge(value: Date | string, now = Date.now()): string {
  const seconds = Math.round((new Date(value).getTime() - now) / 1000);
  const steps: Array<[Intl.RelativeTimeFormatUnit, number]> = [
    ["second", 60],
    ["minute", 60],
    ["hour", 24],
    ["day", 30],
    ["month", 12],
  ];
  let amount = seconds;
  for (const [unit, size] of steps) {
    if (Math.abs(amount) < size) return relative.format(amount, unit);
    amount = Math.round(amount / size);
  }
  return relative.format(amount, "year");
}

/** YYYY-MM-DD of a Date in UTC. */
export const isoDay = (date: Date): string => date.toISOString().slice(0, 10);

/** The `days` calendar days ending today (inclusive), as YYYY-MM-DD. */
export function lastDays(days: number, today = new Date()): { start: string; end: string } {
  const end = isoDay(today);
  const start = isoDay(new Date(today.getTime() - (days - 1) * 86_400_000));
  return { start, end };
}
