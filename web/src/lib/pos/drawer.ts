// The cash drawer's arithmetic on screen: amounts typed by a cashier and how a
// closed shift's count compares with what the drawer should hold.

/** How the counted cash of a closed shift compares with the expected cash. */
export type VarianceKind = 'even' | 'over' | 'short';

/** Returns whether a variance (counted − expected, đồng) is even, over or short. */
export function varianceKind(variance: number): VarianceKind {
  if (variance > 0) return 'over';
  if (variance < 0) return 'short';
  return 'even';
}

/** The largest amount a drawer form takes (the API's limit). */
export const maxDrawerAmount = 1_000_000_000;

/**
 * Reads an amount of đồng as a cashier types it ("500.000", "500 000",
 * "500000"): digits with dots, commas or spaces between groups. Returns
 * undefined for an empty field, anything else, or more than maxDrawerAmount.
 */
export function parseAmount(text: string): number | undefined {
  const t = text.trim();
  if (!/^\d[\d., \u00a0]*$/.test(t)) return undefined;
  const n = Number.parseInt(t.replace(/[., \u00a0]/g, ''), 10);
  return Number.isSafeInteger(n) && n <= maxDrawerAmount ? n : undefined;
}
