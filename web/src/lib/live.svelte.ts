// The shop's realtime stream (GET /api/v1/shops/{shop_id}/events, SSE). The
// access token goes in the query (EventSource cannot send headers). Every drop
// closes the stream and opens a new one after a short, growing pause, with a
// fresh token and the last event id, so the server replays what was missed (or
// sends "reset"). Screens subscribe with on() and refetch what an event names.

/** Event types the screens react to (API.md realtime, and the modules' own). */
export const streamEventTypes = [
  'order.updated',
  'order.opened',
  'order.closed',
  'order.cancelled',
  'order.lines_submitted',
  'order.lines_voided',
  'order.paid',
  'table.updated',
  'qr_order.placed',
  'table.staff_called',
  'ticket.created',
  'ticket.status_changed',
  'product.availability_changed',
  'menu.changed',
  'booking.created',
  'booking.updated',
  'booking.cancelled',
  'booking.checked_in',
  'payment.updated',
  'reset',
] as const;

/** One event from the stream; data is the parsed JSON (null when unreadable). */
export interface StreamEvent {
  readonly type: string;
  readonly id: string;
  readonly data: unknown;
}

/** Where the stream stands: connecting for the first time, open, or down (retrying). */
export type StreamStatus = 'connecting' | 'open' | 'down';

const backoffMs = [500, 1000, 2000, 4000, 8000];

/** A self-healing SSE connection to one shop's events. */
export class ShopStream {
  status: StreamStatus = $state('connecting');
  readonly #shopId: string;
  readonly #token: () => Promise<string | undefined>;
  readonly #topics: string | undefined;
  readonly #listeners = new Set<(e: StreamEvent) => void>();
  readonly #reconnected = new Set<() => void>();
  #source: EventSource | undefined;
  #lastId = '';
  #attempt = 0;
  #wasOpen = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = true;

  /** topics: the server's topic filter, e.g. "kitchen.bar" (all of the shop when absent). */
  constructor(shopId: string, token: () => Promise<string | undefined>, topics?: string) {
    this.#shopId = shopId;
    this.#token = token;
    this.#topics = topics;
  }

  /** Opens the stream; returns the function that closes it for good. */
  start(): () => void {
    this.#stopped = false;
    void this.#connect();
    return () => {
      this.#stopped = true;
      clearTimeout(this.#timer);
      this.#source?.close();
      this.#source = undefined;
    };
  }

  /** Calls fn for every event; returns the function that stops it. */
  on(fn: (e: StreamEvent) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Calls fn each time the stream comes back after a drop (screens refetch then). */
  onReconnect(fn: () => void): () => void {
    this.#reconnected.add(fn);
    return () => this.#reconnected.delete(fn);
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    let token: string | undefined;
    try {
      token = await this.#token();
    } catch {
      this.#retry();
      return;
    }
    if (this.#stopped || !token) return;
    const params = new URLSearchParams({ access_token: token });
    if (this.#lastId) params.set('last_event_id', this.#lastId);
    if (this.#topics) params.set('topics', this.#topics);
    const source = new EventSource(`/api/v1/shops/${encodeURIComponent(this.#shopId)}/events?${params}`);
    this.#source = source;
    source.onopen = () => {
      const comeback = this.#wasOpen;
      this.status = 'open';
      this.#attempt = 0;
      this.#wasOpen = true;
      if (comeback) for (const fn of this.#reconnected) fn();
    };
    source.onerror = () => {
      source.close();
      if (this.#source === source) this.#source = undefined;
      this.#retry();
    };
    for (const type of streamEventTypes) {
      source.addEventListener(type, (e) => this.#deliver(type, e as MessageEvent<string>));
    }
  }

  #deliver(type: string, e: MessageEvent<string>): void {
    if (e.lastEventId) this.#lastId = e.lastEventId;
    let data: unknown = null;
    try {
      data = JSON.parse(e.data) as unknown;
    } catch {
      // Not JSON: the screens refetch from the type alone.
    }
    for (const fn of this.#listeners) fn({ type, id: e.lastEventId, data });
  }

  #retry(): void {
    if (this.#stopped) return;
    this.status = 'down';
    const delay = backoffMs[Math.min(this.#attempt, backoffMs.length - 1)]!;
    this.#attempt++;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#connect(), delay);
  }
}
