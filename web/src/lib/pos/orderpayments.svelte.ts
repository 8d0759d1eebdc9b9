// The payments of the order on screen (GET /orders/{id}/payments), kept current
// from the shop's stream: every change of a payment arrives as payment.updated
// on shop.{id}.payments, so a VietQR paid by bank transfer or a VNPay paid on
// the customer's phone flips on the POS as soon as the server records it.
import type { ApiClient } from '../api/client';
import type { Payment } from '../api/types';
import type { ShopStream } from '../live.svelte';
import { isPayment, upsertPayment } from './payments';

/** One order's payments, every status, as the POS shows them. */
export class OrderPayments {
  items: Payment[] = $state([]);
  loaded = $state(false);
  error: unknown = $state();
  readonly #api: ApiClient;
  readonly #orderId: string;
  readonly #stream: ShopStream;

  constructor(api: ApiClient, orderId: string, stream: ShopStream) {
    this.#api = api;
    this.#orderId = orderId;
    this.#stream = stream;
  }

  /** Loads the payments and follows the stream; returns the function that stops. */
  start(): () => void {
    void this.load();
    const offEvent = this.#stream.on((e) => {
      if (e.type === 'payment.updated' && isPayment(e.data) && e.data.order_id === this.#orderId) this.adopt(e.data);
      if (e.type === 'reset') void this.load();
    });
    const offReconnect = this.#stream.onReconnect(() => void this.load());
    return () => {
      offEvent();
      offReconnect();
    };
  }

  /** Fetches the list again (with the refunds of each payment). */
  async load(): Promise<void> {
    try {
      const page = await this.#api.get<{ items: Payment[] | null }>(`/api/v1/orders/${encodeURIComponent(this.#orderId)}/payments`);
      this.items = page.items ?? [];
      this.loaded = true;
      this.error = undefined;
    } catch (err) {
      this.error = err;
    }
  }

  /** Takes a payment this screen made or the stream pushed (newer copies only). */
  adopt(p: Payment): void {
    if (p.order_id !== this.#orderId) return;
    this.items = upsertPayment(this.items, p);
  }

  /** The payment with that id, if this order has it. */
  find(id: string): Payment | undefined {
    return this.items.find((p) => p.id === id);
  }
}
