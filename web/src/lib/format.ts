// Formatting of money, clock times and durations the way Vietnamese shops
// read them: đồng with dot-grouped thousands ("185.000 ₫") and times in the
// shop's zone (GMT+7), whatever the device's own zone is.
import { localeTags, shopTimeZone, type Locale } from './i18n';

/**
 * Returns an amount of đồng as "185.000 ₫": dots between thousands and a
 * non-breaking space before the sign, so the figure never wraps. Written out
 * by hand rather than through Intl so every browser prints the same thing.
 */
export function formatVND(amount: number): string {
  const whole = Math.trunc(amount);
  const digits = String(Math.abs(whole));
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  return `${whole < 0 ? '-' : ''}${grouped}\u00a0₫`;
}

/** Returns the shop-local (GMT+7) clock time of an RFC 3339 instant, e.g. "14:05". */
export function formatClock(iso: string, locale: Locale): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return new Intl.DateTimeFormat(localeTags[locale], {
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone: shopTimeZone,
  }).format(date);
}

/** Returns a duration in whole seconds as "m:ss" under an hour, else "h:mm:ss". */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = s % 60;
  const two = (n: number): string => String(n).padStart(2, '0');
  return hours > 0 ? `${hours}:${two(minutes)}:${two(seconds)}` : `${minutes}:${two(seconds)}`;
}

/**
 * Returns the shop-local date of an instant as YYYY-MM-DD (GMT+7 has no DST,
 * so adding seven hours to UTC is exact).
 */
export function shopDate(at: Date): string {
  return new Date(at.getTime() + 7 * 3600_000).toISOString().slice(0, 10);
}
