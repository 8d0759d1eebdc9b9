// How late a kitchen ticket is, for the colour of its card.

/** Fresh (green), warning (amber) or late (red). */
export type AgeLevel = 'fresh' | 'warn' | 'late';

/** Minutes after which a ticket turns amber, then red. */
export const warnAfterMinutes = 5;
export const lateAfterMinutes = 10;

/** Returns the age level of a ticket created at createdAt, seen at now. */
export function ageLevel(createdAt: string, now: Date): AgeLevel {
  const minutes = (now.getTime() - Date.parse(createdAt)) / 60_000;
  if (minutes >= lateAfterMinutes) return 'late';
  if (minutes >= warnAfterMinutes) return 'warn';
  return 'fresh';
}

/** Returns the whole seconds since createdAt (0 for a clock running behind). */
export function ageSeconds(createdAt: string, now: Date): number {
  return Math.max(0, Math.floor((now.getTime() - Date.parse(createdAt)) / 1000));
}
