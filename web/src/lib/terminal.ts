// A shop terminal: a browser a manager registered with a shop (POST
// /shops/{id}/devices). It keeps the device secret that PIN sign-in may need and
// the roster of staff with a PIN, read while the manager was signed in, because
// nobody is signed in when the PIN pad shows (the staff list needs staff.read).
import type { KeyValueStore } from './locale.svelte';

const storageKey = 'goodgo.terminal';

/** One person who can sign in on the terminal with a PIN. */
export interface RosterEntry {
  readonly id: string;
  readonly full_name: string;
  readonly role: string;
}

/** What the terminal remembers about its shop. */
export interface Terminal {
  readonly shop_id: string;
  readonly shop_name: string;
  readonly device_id: string;
  readonly device_name: string;
  readonly device_secret: string;
  readonly staff: readonly RosterEntry[];
}

/** Returns the terminal registration stored in this browser, if any. */
export function loadTerminal(store: KeyValueStore | undefined): Terminal | undefined {
  try {
    const raw = store?.getItem(storageKey);
    if (!raw) return undefined;
    const v = JSON.parse(raw) as Partial<Terminal>;
    if (
      typeof v.shop_id !== 'string' ||
      typeof v.device_secret !== 'string' ||
      typeof v.device_id !== 'string' ||
      !Array.isArray(v.staff)
    ) {
      return undefined;
    }
    return {
      shop_id: v.shop_id,
      shop_name: typeof v.shop_name === 'string' ? v.shop_name : '',
      device_id: v.device_id,
      device_name: typeof v.device_name === 'string' ? v.device_name : '',
      device_secret: v.device_secret,
      staff: v.staff.filter(
        (s): s is RosterEntry =>
          typeof s === 'object' && s !== null && typeof s.id === 'string' && typeof s.full_name === 'string',
      ),
    };
  } catch {
    return undefined;
  }
}

/** Remembers t as this browser's terminal registration (undefined forgets it). */
export function saveTerminal(store: KeyValueStore | undefined, t: Terminal | undefined): void {
  try {
    store?.setItem(storageKey, t ? JSON.stringify(t) : '');
  } catch {
    // Storage disabled: the registration lasts for this visit.
  }
}
