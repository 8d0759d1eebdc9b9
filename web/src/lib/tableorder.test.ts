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

  describe('pay', () => {
    /** A server that records the payment requests (method, path, body) and answers them with pay. */
    function payServer(pay: (body: unknown) => Response): { api: ApiClient; posts: { path: string; body: unknown }[]; polls: URL[] } {
      const posts: { path: string; body: unknown }[] = [];
      const polls: URL[] = [];
      const api = new ApiClient({
        fetch: async (input, init) => {
          const url = new URL(String(input), 'http://pos.test');
          if (init?.method === 'POST') {
            const body: unknown = JSON.parse(String(init.body));
            posts.push({ path: url.pathname, body });
            return pay(body);
          }
          polls.push(url);
          return json(200, view({ order_id: url.searchParams.get('order_id') ?? 'o1', amount_due: 52000 }));
        },
      });
      return { api, posts, polls };
    }
    const waiting = (method: string) =>
      json(201, { payment_id: 'p1', method, amount: 52000, status: 'pending', reference: 'GG7K2M9Q', public_qr_url: 'https://pos.example/api/v1/public/payments/t/qr.svg' });

    const cases: { name: string; shared: boolean; saved?: string; method: 'vietqr' | 'vnpay'; want: unknown }[] = [
      { name: 'the table’s one order: just the method', shared: false, saved: 'mine', method: 'vietqr', want: { method: 'vietqr' } },
      { name: 'a shared table: the party’s own order', shared: true, saved: 'mine', method: 'vnpay', want: { method: 'vnpay', order_id: 'mine' } },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const store = new Store();
        if (c.saved) store.setItem('goodgo.qr_order.tok', JSON.stringify({ order_id: c.saved }));
        const { api, posts } = payServer(() => waiting(c.method));
        const got = await new TableOrder(api, 'tok', c.shared, store).pay(c.method);
        expect(posts).toEqual([{ path: '/api/v1/public/tables/tok/payments', body: c.want }]);
        expect(got.reference).toBe('GG7K2M9Q');
      });
    }

    it('asks for the status again at once, even when the server refuses', async () => {
      const { api, polls } = payServer(() => json(409, { title: 'Conflict', status: 409, detail: 'nothing is due on this order' }));
      const order = new TableOrder(api, 'tok', false, new Store());
      const stop = order.start(page);
      await vi.advanceTimersByTimeAsync(0);
      expect(polls).toHaveLength(1);
      await expect(order.pay('vietqr')).rejects.toMatchObject({ status: 409 });
      await vi.advanceTimersByTimeAsync(0);
      expect(polls).toHaveLength(2);
      stop();
    });
  });
});
