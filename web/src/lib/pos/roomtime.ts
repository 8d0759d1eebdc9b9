// A karaoke room's running time, ticking on the screen between refetches: the
// server prices the time (time_charge), the screen only counts the seconds.
import type { TimeStint } from '../api/types';

/** Returns the seconds the room's stints have run up to now (open stints run until now). */
export function elapsedSeconds(stints: readonly TimeStint[] | null | undefined, now: Date): number {
  let ms = 0;
  for (const s of stints ?? []) {
    const start = Date.parse(s.started_at);
    const end = s.ended_at ? Date.parse(s.ended_at) : now.getTime();
    if (end > start) ms += end - start;
  }
  return Math.floor(ms / 1000);
}
