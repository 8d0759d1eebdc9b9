// The customer's side of a table's QR code, kept pure so it is unit-tested:
// what stage the table's order is at in the customer's words, which order a
// phone at a shared table continues, and a poller that asks the server again
// every few seconds while the page is on screen (and never while it is hidden),
// and what the phone needs to pay the order itself.
import type { QROrderView } from './api/types';

/** Where the table's order stands, as the customer's phone says it. */
export type OrderStage = 'waiting' | 'kitchen' | 'billing' | 'paid' | 'finished';

/**
 * Returns the stage of the order: finished once closed or cancelled, paid,
 * billing once the bill was asked for, waiting while some line still waits for
 * the staff to send it to the kitchen, otherwise in the kitchen.
 */
export function orderStage(view: Pick<QROrderView, 'status' | 'lines'>): OrderStage {
  switch (view.status) {
    case 'closed':
    case 'cancelled':
      return 'finished';
    case 'paid':
      return 'paid';
    case 'billing':
      return 'billing';
    default:
      return (view.lines ?? []).some((l) => l.status === 'new') ? 'waiting' : 'kitchen';
  }
}

/** Reports whether the customer may pay the order from the phone: something is due on an order still going. */
export function canPay(view: Pick<QROrderView, 'status' | 'lines' | 'amount_due'>): boolean {
  return view.amount_due > 0 && orderStage(view) !== 'finished';
}

/**
 * Returns the path (and query) of an address the server built from its public
 * URL, to load it from the page's own origin: the customer pages allow images
 * from there only (CSP), and the public URL may name another host than the one
 * the phone reached. Undefined for no address or one that is not http(s).
 */
export function sameOriginPath(url: string | undefined): string | undefined {
  if (!url) return undefined;
  let u: URL;
  try {
    u = new URL(url, 'http://page.invalid');
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
  return u.pathname + u.search;
}

/** What a phone remembers of its party's own order at a shared table. */
export interface SavedOrder {
  readonly order_id: string;
}

/** Reports whether v is a saved party order. */
export function isSavedOrder(v: unknown): v is SavedOrder {
  return typeof v === 'object' && v !== null && typeof (v as SavedOrder).order_id === 'string' && (v as SavedOrder).order_id !== '';
}

/**
 * Returns the order_id a phone sends with its next round, or undefined for
 * none: only at a shared table (elsewhere the table's one order takes every
 * round), and never an order that has finished (a new one opens then).
 */
export function roundOrderId(shared: boolean, saved: SavedOrder | undefined, last: QROrderView | undefined): string | undefined {
  if (!shared || !saved) return undefined;
  if (last && last.order_id === saved.order_id && orderStage(last) === 'finished') return undefined;
  return saved.order_id;
}

/** Whether a page is on screen, and its change events (the Document in a browser). */
export interface Visibility {
  readonly visibilityState: DocumentVisibilityState;
  addEventListener(type: 'visibilitychange', fn: () => void): void;
  removeEventListener(type: 'visibilitychange', fn: () => void): void;
}

/**
 * Runs a check now and again every everyMs while the page is visible: one
 * run at a time, none while hidden, and one at once when the page shows
 * again. A run may answer how long to wait before the next (e.g. a server's
 * Retry-After); undefined means everyMs.
 */
export class Poller {
  readonly #run: () => Promise<number | undefined>;
  readonly #everyMs: number;
  readonly #page: Visibility;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = false;
  #again = false;
  #stopped = true;

  constructor(run: () => Promise<number | undefined>, everyMs: number, page: Visibility) {
    this.#run = run;
    this.#everyMs = everyMs;
    this.#page = page;
  }

  /** Starts polling; returns the function that stops it for good. */
  start(): () => void {
    this.#stopped = false;
    const onChange = (): void => {
      if (this.#page.visibilityState === 'visible') this.now();
      else clearTimeout(this.#timer);
    };
    this.#page.addEventListener('visibilitychange', onChange);
    this.now();
    return () => {
      this.#stopped = true;
      clearTimeout(this.#timer);
      this.#page.removeEventListener('visibilitychange', onChange);
    };
  }

  /** Checks at once (after the run in progress, if any), then every everyMs again. */
  now(): void {
    if (this.#stopped || this.#page.visibilityState !== 'visible') return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    void this.#tick();
  }

  async #tick(): Promise<void> {
    this.#running = true;
    let wait: number | undefined;
    try {
      wait = await this.#run();
    } catch {
      // The run reports its own failures; polling goes on.
    } finally {
      this.#running = false;
    }
    if (this.#stopped || this.#page.visibilityState !== 'visible') return;
    if (this.#again) {
      this.#again = false;
      void this.#tick();
      return;
    }
    this.#timer = setTimeout(() => void this.#tick(), wait ?? this.#everyMs);
  }
}
