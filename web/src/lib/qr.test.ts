import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { QROrderView } from './api/types';
import { canPay, orderStage, Poller, roundOrderId, isSavedOrder, sameOriginPath, type Visibility } from './qr';

function view(p: Partial<QROrderView>): QROrderView {
  return { order_id: 'o1', shop_id: 's', place_name: 'S4', status: 'ordering', needs_confirmation: true, lines: [], total: 0, amount_due: 0, ...p };
}
const line = (status: 'new' | 'sent' | 'voided') => ({ name: 'Trà', quantity: 1, status, amount: 30000 });

describe('orderStage', () => {
  const cases: { name: string; v: QROrderView; want: ReturnType<typeof orderStage> }[] = [
    { name: 'a line waits for staff', v: view({ lines: [line('sent'), line('new')] }), want: 'waiting' },
    { name: 'every line sent', v: view({ lines: [line('sent'), line('voided')] }), want: 'kitchen' },
    { name: 'no lines yet', v: view({ status: 'open' }), want: 'kitchen' },
    { name: 'bill asked for', v: view({ status: 'billing', lines: [line('new')] }), want: 'billing' },
    { name: 'paid', v: view({ status: 'paid' }), want: 'paid' },
    { name: 'closed', v: view({ status: 'closed' }), want: 'finished' },
    { name: 'cancelled', v: view({ status: 'cancelled' }), want: 'finished' },
  ];
  for (const c of cases) {
    it(c.name, () => expect(orderStage(c.v)).toBe(c.want));
  }
});

describe('canPay', () => {
  const cases: { name: string; v: QROrderView; want: boolean }[] = [
    { name: 'something due in the kitchen', v: view({ status: 'served', amount_due: 52000 }), want: true },
    { name: 'due while staff still confirm', v: view({ lines: [line('new')], amount_due: 30000 }), want: true },
    { name: 'bill on its way', v: view({ status: 'billing', amount_due: 30000 }), want: true },
    { name: 'nothing ordered yet', v: view({ status: 'open', amount_due: 0 }), want: false },
    { name: 'paid in full', v: view({ status: 'paid', amount_due: 0 }), want: false },
    { name: 'cancelled', v: view({ status: 'cancelled', amount_due: 30000 }), want: false },
  ];
  for (const c of cases) {
    it(c.name, () => expect(canPay(c.v)).toBe(c.want));
  }
});

describe('sameOriginPath', () => {
  const cases: { name: string; url: string | undefined; want: string | undefined }[] = [
    { name: 'another host', url: 'https://pos.example.vn/api/v1/public/payments/tok/qr.svg', want: '/api/v1/public/payments/tok/qr.svg' },
    { name: 'keeps the query', url: 'http://127.0.0.1:8080/api/v1/x/qr.svg?size=8', want: '/api/v1/x/qr.svg?size=8' },
    { name: 'a path already', url: '/api/v1/public/payments/tok/qr.svg', want: '/api/v1/public/payments/tok/qr.svg' },
    { name: 'protocol-relative stays on this origin', url: '//evil.example/qr.svg', want: '/qr.svg' },
    { name: 'no address', url: undefined, want: undefined },
    { name: 'empty', url: '', want: undefined },
    { name: 'a data URL', url: 'data:image/svg+xml,<svg/>', want: undefined },
    { name: 'javascript', url: 'javascript:alert(1)', want: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => expect(sameOriginPath(c.url)).toBe(c.want));
  }
});

describe('roundOrderId', () => {
  const saved = { order_id: 'o1' };
  const cases: { name: string; got: string | undefined; want: string | undefined }[] = [
    { name: 'shared table continues the party order', got: roundOrderId(true, saved, view({})), want: 'o1' },
    { name: 'shared table before the status is known', got: roundOrderId(true, saved, undefined), want: 'o1' },
    { name: 'a table with one order sends none', got: roundOrderId(false, saved, view({})), want: undefined },
    { name: 'nothing ordered yet', got: roundOrderId(true, undefined, undefined), want: undefined },
    { name: 'a finished order opens a new one', got: roundOrderId(true, saved, view({ status: 'closed' })), want: undefined },
    { name: 'another order finishing does not count', got: roundOrderId(true, saved, view({ order_id: 'o2', status: 'closed' })), want: 'o1' },
  ];
  for (const c of cases) {
    it(c.name, () => expect(c.got).toBe(c.want));
  }
  it('reads only well-formed saved orders', () => {
    expect(isSavedOrder({ order_id: 'x' })).toBe(true);
    expect(isSavedOrder({ order_id: '' })).toBe(false);
    expect(isSavedOrder({ id: 'x' })).toBe(false);
    expect(isSavedOrder(null)).toBe(false);
  });
});

/** A page whose visibility the test switches. */
class FakePage implements Visibility {
  visibilityState: DocumentVisibilityState = 'visible';
  readonly #fns = new Set<() => void>();
  addEventListener(_: 'visibilitychange', fn: () => void): void {
    this.#fns.add(fn);
  }
  removeEventListener(_: 'visibilitychange', fn: () => void): void {
    this.#fns.delete(fn);
  }
  set(state: DocumentVisibilityState): void {
    this.visibilityState = state;
    for (const fn of this.#fns) fn();
  }
  get listeners(): number {
    return this.#fns.size;
  }
}

describe('Poller', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs at once and then every interval while visible', async () => {
    const page = new FakePage();
    let runs = 0;
    const stop = new Poller(async () => void runs++, 5000, page).start();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(4999);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toBe(2);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs).toBe(4);
    stop();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(runs).toBe(4);
    expect(page.listeners).toBe(0);
  });

  it('stops while hidden and runs at once when shown again', async () => {
    const page = new FakePage();
    let runs = 0;
    const stop = new Poller(async () => void runs++, 5000, page).start();
    await vi.advanceTimersByTimeAsync(0);
    page.set('hidden');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runs).toBe(1);
    page.set('visible');
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toBe(2);
    await vi.advanceTimersByTimeAsync(5000);
    expect(runs).toBe(3);
    stop();
  });

  it('never overlaps runs: now() during a run runs once more right after', async () => {
    const page = new FakePage();
    let runs = 0;
    let active = 0;
    let most = 0;
    const release: (() => void)[] = [];
    const poller = new Poller(
      () =>
        new Promise<undefined>((resolve) => {
          runs++;
          active++;
          most = Math.max(most, active);
          release.push(() => {
            active--;
            resolve(undefined);
          });
        }),
      5000,
      page,
    );
    const stop = poller.start();
    poller.now();
    poller.now();
    expect(runs).toBe(1);
    release.shift()!();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toBe(2);
    release.shift()!();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toBe(2);
    expect(most).toBe(1);
    stop();
  });

  it('waits as long as a run asks, and keeps polling after a failed run', async () => {
    const page = new FakePage();
    let runs = 0;
    const stop = new Poller(
      async () => {
        runs++;
        if (runs === 1) return 30_000;
        throw new Error('offline');
      },
      5000,
      page,
    ).start();
    await vi.advanceTimersByTimeAsync(29_999);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toBe(2);
    await vi.advanceTimersByTimeAsync(5000);
    expect(runs).toBe(3);
    stop();
  });
});
