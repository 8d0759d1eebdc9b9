// Quick-tender buttons of the cash screen: the exact amount, then the nearest
// amounts a customer is likely to hand over with Vietnamese notes.

/** The note values in use (đồng), smallest first. */
const notes = [10_000, 20_000, 50_000, 100_000, 200_000, 500_000];

/**
 * Returns up to max distinct amounts ≥ due, ascending: due itself, then due
 * rounded up to each note value, then whole 500.000 ₫ steps.
 */
export function quickTenders(due: number, max = 5): number[] {
  if (due <= 0) return [];
  const out = new Set<number>([due]);
  for (const n of notes) out.add(Math.ceil(due / n) * n);
  for (let k = Math.ceil(due / 500_000) + 1; out.size < max + 2; k++) out.add(k * 500_000);
  return [...out].sort((a, b) => a - b).slice(0, max);
}

/** Returns the change for a cash tender, or undefined when tendered is short of due. */
export function changeFor(due: number, tendered: number): number | undefined {
  return tendered >= due ? tendered - due : undefined;
}
