// What the POS screens of one shop show, kept current from the shop's stream:
// the floor, the live orders, today's bookings, the staff menu and the tables
// calling for staff. Events are coalesced: a burst of them costs one refetch of
// each thing they touch.
import type { ApiClient } from '../api/client';
import type { Booking, Floor, Menu, Order, Page } from '../api/types';
import type { ShopStream, StreamEvent } from '../live.svelte';
import { addCall, dismissCall, parseStaffCall, type StaffCall } from './calls';
import { placeStates, type PlaceState } from './floor';

type Part = 'floor' | 'orders' | 'bookings' | 'menu';

const partsOf: Record<string, readonly Part[]> = {
  'order.updated': ['orders'],
  'order.opened': ['orders'],
  'order.closed': ['orders'],
  'order.cancelled': ['orders'],
  'order.paid': ['orders'],
  'table.updated': ['orders'],
  'qr_order.placed': ['orders'],
  'booking.created': ['bookings'],
  'booking.updated': ['bookings'],
  'booking.cancelled': ['bookings'],
  'booking.checked_in': ['bookings', 'orders'],
  'product.availability_changed': ['menu'],
  'menu.changed': ['menu'],
  reset: ['floor', 'orders', 'bookings', 'menu'],
};

/** The live data of a shop's POS. */
export class ShopData {
  floor: Floor | undefined = $state();
  orders: Order[] = $state([]);
  bookings: Booking[] = $state([]);
  menu: Menu | undefined = $state();
  /** The clock the timers on screen read, ticking every second. */
  now: Date = $state(new Date());
  error: unknown = $state();
  /** Orders that got QR lines waiting for staff, by order id (cleared when staff open the order). */
  qrWaiting: Set<string> = $state(new Set());
  /** Tables and rooms calling for staff (table.staff_called), until dismissed here. */
  calls: StaffCall[] = $state([]);
  readonly shopId: string;
  readonly states: Map<string, PlaceState> = $derived(placeStates(this.orders, this.bookings, this.now));
  readonly #api: ApiClient;
  readonly #stream: ShopStream;
  readonly #callListeners = new Set<(c: StaffCall) => void>();
  // Events replayed after a reconnect must not bring back calls already dismissed.
  readonly #heardCalls = new Set<string>();
  #due = new Set<Part>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(api: ApiClient, shopId: string, stream: ShopStream) {
    this.#api = api;
    this.shopId = shopId;
    this.#stream = stream;
  }

  /** Loads everything and follows the stream; returns the function that stops. */
  start(): () => void {
    void this.load(['floor', 'orders', 'bookings', 'menu']);
    const offEvent = this.#stream.on((e) => this.#onEvent(e));
    const offReconnect = this.#stream.onReconnect(() => this.#schedule(['floor', 'orders', 'bookings', 'menu']));
    const tick = setInterval(() => {
      this.now = new Date();
    }, 1000);
    // A running room's price grows with time; the server prices it, so ask again now and then.
    const rooms = setInterval(() => {
      if (this.orders.some((o) => o.time_charge?.running)) this.#schedule(['orders']);
    }, 30_000);
    return () => {
      offEvent();
      offReconnect();
      clearInterval(tick);
      clearInterval(rooms);
      clearTimeout(this.#timer);
    };
  }

  /** Refetches the orders now (after this screen changed one). */
  refreshOrders(): void {
    this.#schedule(['orders']);
  }

  /** Forgets that an order has QR lines waiting (staff have seen them). */
  seenQr(orderId: string): void {
    if (!this.qrWaiting.has(orderId)) return;
    const next = new Set(this.qrWaiting);
    next.delete(orderId);
    this.qrWaiting = next;
  }

  /** Calls fn for every new call for staff (the POS rings). Returns the function that stops. */
  onCall(fn: (c: StaffCall) => void): () => void {
    this.#callListeners.add(fn);
    return () => this.#callListeners.delete(fn);
  }

  /** Takes a call off the screens of this terminal (staff went to the table). */
  dismissCall(key: string): void {
    this.calls = dismissCall(this.calls, key);
  }

  /** Fetches the named parts again. */
  async load(parts: readonly Part[]): Promise<void> {
    const base = `/api/v1/shops/${encodeURIComponent(this.shopId)}`;
    try {
      await Promise.all(
        parts.map(async (part) => {
          switch (part) {
            case 'floor':
              this.floor = await this.#api.get<Floor>(`${base}/floor`);
              break;
            case 'orders':
              this.orders = [...((await this.#api.get<Page<Order>>(`${base}/orders`)).items ?? [])];
              break;
            case 'bookings': {
              const now = Date.now();
              const page = await this.#api.get<Page<Booking>>(`${base}/bookings`, {
                query: {
                  from: new Date(now).toISOString(),
                  to: new Date(now + 24 * 3600_000).toISOString(),
                  limit: 200,
                },
              });
              this.bookings = [...(page.items ?? [])];
              break;
            }
            case 'menu':
              this.menu = await this.#api.get<Menu>(`${base}/menu`);
              break;
          }
        }),
      );
      this.error = undefined;
    } catch (err) {
      this.error = err;
    }
  }

  #onEvent(e: StreamEvent): void {
    if (e.type === 'table.staff_called') {
      this.#onCall(e);
      return;
    }
    if (e.type === 'qr_order.placed') {
      const id = (e.data as { order_id?: unknown } | null)?.order_id;
      if (typeof id === 'string') this.qrWaiting = new Set(this.qrWaiting).add(id);
    }
    if (e.type === 'order.updated' && isOrder(e.data)) {
      this.#applyOrder(e.data);
      return;
    }
    const parts = partsOf[e.type];
    if (parts) this.#schedule(parts);
  }

  #onCall(e: StreamEvent): void {
    if (e.id) {
      if (this.#heardCalls.has(e.id)) return;
      this.#heardCalls.add(e.id);
      if (this.#heardCalls.size > 500) this.#heardCalls.delete(this.#heardCalls.values().next().value!);
    }
    const call = parseStaffCall(e.data, new Date());
    if (!call) return;
    this.calls = addCall(this.calls, call);
    for (const fn of this.#callListeners) fn(call);
  }

  // Takes an order pushed by the stream into the list (newer versions only).
  #applyOrder(o: Order): void {
    const live = !['closed', 'cancelled'].includes(o.status);
    const i = this.orders.findIndex((x) => x.id === o.id);
    if (i >= 0 && this.orders[i]!.version > o.version) return;
    if (i >= 0) {
      this.orders = live ? this.orders.map((x) => (x.id === o.id ? o : x)) : this.orders.filter((x) => x.id !== o.id);
    } else if (live) {
      this.orders = [...this.orders, o];
    }
  }

  #schedule(parts: readonly Part[]): void {
    for (const p of parts) this.#due.add(p);
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const due = [...this.#due];
      this.#due.clear();
      void this.load(due);
    }, 50);
  }
}

/** Reports whether data looks like an order pushed by the stream. */
export function isOrder(data: unknown): data is Order {
  if (typeof data !== 'object' || data === null) return false;
  const o = data as Record<string, unknown>;
  return typeof o['id'] === 'string' && typeof o['version'] === 'number' && typeof o['status'] === 'string';
}
