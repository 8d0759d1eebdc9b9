import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiClient } from './api/client';
import type { QROrderView } from './api/types';
import type { KeyValueStore } from './locale.svelte';
import type { Visibility } from './qr';
import { TableOrder, pollMs } from './tableorder.svelte';

function view(p: Partial<QROrderView>): QROrderView {
  return { order_id: 'o1', shop_id: 's', place_name: 'S1', status: 'ordering', needs_confirmation: false, lines: [], total: 0, amount_due: 0, ...p };
}

/** The server's answers by request, and what was asked. */
function server(answer: (url: URL) => Response): { api: ApiClient; asked: URL[] } {
  const asked: URL[] = [];
  const api = new ApiClient({
    fetch: async (input) => {
      const url = new URL(String(input), 'http://pos.test');
      asked.push(url);
      return answer(url);
    },
  });
  return { api, asked };
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

class Store implements KeyValueStore {
  readonly map = new Map<string, string>();
  getItem(key: string): string | null {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.map.set(key, value);
  }
}

const page: Visibility = { visibilityState: 'visible', addEventListener() {}, removeEventListener() {} };

describe('TableOrder', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('follows the table’s one order without an order_id', async () => {
    const { api, asked } = server(() => json(200, view({ status: 'billing' })));
    const order = new TableOrder(api, 'tok', false, new Store());
    const stop = order.start(page);
    await vi.advanceTimersByTimeAsync(0);
    expect(order.view?.status).toBe('billing');
    expect(asked[0]?.pathname).toBe('/api/v1/public/tables/tok/order');
    expect(asked[0]?.searchParams.has('order_id')).toBe(false);
    await vi.advanceTimersByTimeAsync(pollMs);
    expect(asked).toHaveLength(2);
    expect(order.roundOrderId()).toBeUndefined();
    stop();
  });

  it('at a shared table asks nothing before the party orders, then follows and continues its own order', async () => {
    const store = new Store();
    const { api, asked } = server((url) => json(200, view({ order_id: url.searchParams.get('order_id') ?? '?' })));
    const order = new TableOrder(api, 'tok', true, store);
    const stop = order.start(page);
    await vi.advanceTimersByTimeAsync(pollMs * 2);
    expect(asked).toHaveLength(0);
    expect(order.roundOrderId()).toBeUndefined();

    order.placed(view({ order_id: 'mine' }));
    await vi.advanceTimersByTimeAsync(0);
    expect(asked.at(-1)?.searchParams.get('order_id')).toBe('mine');
    expect(order.roundOrderId()).toBe('mine');
    stop();

    // Another visit of the same phone remembers it.
    expect(new TableOrder(api, 'tok', true, store).roundOrderId()).toBe('mine');
  });

  it('forgets a party order the server no longer has, and keeps the last view when offline', async () => {
    const store = new Store();
    store.setItem('goodgo.qr_order.tok', JSON.stringify({ order_id: 'gone' }));
    let answer: () => Response = () => json(404, { title: 'Not Found', status: 404 });
    const { api } = server(() => answer());
    const order = new TableOrder(api, 'tok', true, store);
    expect(order.roundOrderId()).toBe('gone');
    const stop = order.start(page);
    await vi.advanceTimersByTimeAsync(0);
    expect(order.view).toBeUndefined();
    expect(order.roundOrderId()).toBeUndefined();

    order.placed(view({ order_id: 'next' }));
    answer = () => {
      throw new TypeError('offline');
    };
    await vi.advanceTimersByTimeAsync(pollMs);
    expect(order.offline).toBe(true);
    expect(order.view?.order_id).toBe('next');
    stop();
  });
});
