// The table's order as a customer's phone follows it: GET
// /public/tables/{qr_token}/order every few seconds while the page is on
// screen. At a table the shop lets several parties share, the phone keeps its
// party's order id (localStorage, by table token), asks for that order, and
// sends it with later rounds so they join it, and pays it.
import { ApiError, NetworkError, type ApiClient } from './api/client';
import type { CustomerPayment, QROrderView, TablePayMethod } from './api/types';
import { readSaved, writeSaved } from './cart';
import type { KeyValueStore } from './locale.svelte';
import { isSavedOrder, Poller, roundOrderId, type SavedOrder, type Visibility } from './qr';

/** How often the phone asks for the order's status. */
export const pollMs = 5000;

/** The live order of one table (or the party's own order at a shared table). */
export class TableOrder {
  /** The order as last seen; undefined while nothing is ordered. */
  view: QROrderView | undefined = $state();
  /** When the server last answered. */
  checkedAt: Date | undefined = $state();
  /** The last check got no answer (the phone is offline); the last view stays on screen. */
  offline = $state(false);
  readonly #api: ApiClient;
  readonly #path: string;
  readonly #payPath: string;
  readonly #shared: boolean;
  readonly #store: KeyValueStore | undefined;
  readonly #key: string;
  #saved: SavedOrder | undefined;
  #poller: Poller | undefined;

  /** shared: the table lets several parties keep their own orders (QRTable.shared_table). */
  constructor(api: ApiClient, qrToken: string, shared: boolean, store: KeyValueStore | undefined) {
    this.#api = api;
    const table = `/api/v1/public/tables/${encodeURIComponent(qrToken)}`;
    this.#path = `${table}/order`;
    this.#payPath = `${table}/payments`;
    this.#shared = shared;
    this.#store = store;
    this.#key = `goodgo.qr_order.${qrToken}`;
    this.#saved = shared ? readSaved(store, this.#key, isSavedOrder) : undefined;
  }

  /** Follows the order while page is visible; returns the function that stops. */
  start(page: Visibility): () => void {
    this.#poller = new Poller(() => this.#check(), pollMs, page);
    return this.#poller.start();
  }

  /** Asks for the status at once (after the customer ordered or came back). */
  refresh(): void {
    this.#poller?.now();
  }

  /** The order_id to send with the next round (shared tables only). */
  roundOrderId(): string | undefined {
    return roundOrderId(this.#shared, this.#saved, this.view);
  }

  /** Forgets the party's order (the server refused it: it finished or moved). */
  forgetOrder(): void {
    this.#save(undefined);
  }

  /** Takes the answer to a placed round as the latest view and remembers the party's order. */
  placed(view: QROrderView): void {
    if (this.#shared) this.#save({ order_id: view.order_id });
    this.view = view;
    this.checkedAt = new Date();
    this.offline = false;
    this.refresh();
  }

  /**
   * Opens a payment of method for what the order owes (at a shared table, the
   * party's own order), or gets the one opened before that still waits. The
   * status is asked again at once. Asking again after a lost answer is safe:
   * the server shows the same waiting payment. Throws the server's ApiError
   * (404 nothing ordered, 409 nothing due) or NetworkError when offline.
   */
  async pay(method: TablePayMethod): Promise<CustomerPayment> {
    const orderId = this.#shared ? this.#saved?.order_id : undefined;
    const body = orderId ? { method, order_id: orderId } : { method };
    try {
      return await this.#api.post<CustomerPayment>(this.#payPath, body);
    } finally {
      this.refresh();
    }
  }

  async #check(): Promise<number | undefined> {
    if (this.#shared && !this.#saved) return undefined; // nothing of this party's to follow yet
    try {
      const query = this.#saved ? { order_id: this.#saved.order_id } : undefined;
      this.view = await this.#api.get<QROrderView>(this.#path, query ? { query } : undefined);
      this.checkedAt = new Date();
      this.offline = false;
    } catch (err) {
      if (err instanceof NetworkError) {
        this.offline = true;
        return undefined;
      }
      this.offline = false;
      if (err instanceof ApiError && err.status === 404) {
        // Nothing ordered at the table (or the party's order is gone): nothing to show.
        this.view = undefined;
        this.checkedAt = new Date();
        if (this.#saved) this.#save(undefined);
      } else if (err instanceof ApiError && err.status === 429) {
        return (err.retryAfterSeconds ?? 30) * 1000;
      }
    }
    return undefined;
  }

  #save(saved: SavedOrder | undefined): void {
    this.#saved = saved;
    writeSaved(this.#store, this.#key, saved);
  }
}
