import { describe, expect, it } from 'vitest';
import type { Payment } from '../api/types';
import { bankName, isHolding, isPayment, readVietQR, refundable, tally, upsertPayment } from './payments';

const now = new Date('2026-05-01T10:00:00Z');

function payment(over: Partial<Payment>): Payment {
  return {
    id: 'p1',
    order_id: 'o1',
    shop_id: 's1',
    method: 'vietqr',
    amount: 50000,
    status: 'pending',
    provider_ref: '',
    reference: 'GG1',
    applied: false,
    refunded: 0,
    created_by: 'u1',
    created_at: '2026-05-01T09:55:00Z',
    updated_at: '2026-05-01T09:55:00Z',
    ...over,
  };
}

describe('isHolding', () => {
  const cases: { name: string; p: Partial<Payment>; want: boolean }[] = [
    { name: 'pending, expiring later', p: { expires_at: '2026-05-01T10:10:00Z' }, want: true },
    { name: 'pending without an expiry', p: {}, want: true },
    { name: 'pending, expired', p: { expires_at: '2026-05-01T09:59:59Z' }, want: false },
    { name: 'pending, expiring this instant', p: { expires_at: '2026-05-01T10:00:00Z' }, want: false },
    { name: 'succeeded', p: { status: 'succeeded', expires_at: '2026-05-01T10:10:00Z' }, want: false },
    { name: 'failed', p: { status: 'failed' }, want: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(isHolding(payment(c.p), now)).toBe(c.want);
    });
  }
});

describe('tally', () => {
  it('takes the holds of live intents off what may be taken', () => {
    const got = tally({ total: 200000, paid: 50000, amount_due: 150000 }, [
      payment({ id: 'a', status: 'succeeded', amount: 50000 }),
      payment({ id: 'b', amount: 60000, expires_at: '2026-05-01T10:15:00Z' }),
      payment({ id: 'c', amount: 30000, expires_at: '2026-05-01T09:00:00Z' }),
      payment({ id: 'd', status: 'failed', amount: 90000 }),
    ], now);
    expect(got).toEqual({ total: 200000, paid: 50000, held: 60000, takeable: 90000 });
  });

  it('never answers less than nothing', () => {
    const got = tally({ total: 100000, paid: 0, amount_due: 40000 }, [payment({ amount: 100000 })], now);
    expect(got.takeable).toBe(0);
    expect(got.held).toBe(100000);
  });
});

describe('refundable', () => {
  const cases: { name: string; p: { status: string; amount: number; refunded?: number }; want: number }[] = [
    { name: 'succeeded, nothing refunded', p: { status: 'succeeded', amount: 50000, refunded: 0 }, want: 50000 },
    { name: 'succeeded, refunded in part', p: { status: 'succeeded', amount: 50000, refunded: 20000 }, want: 30000 },
    { name: 'an applied payment without refunds', p: { status: 'succeeded', amount: 50000 }, want: 50000 },
    { name: 'all refunded', p: { status: 'refunded', amount: 50000, refunded: 50000 }, want: 0 },
    { name: 'pending', p: { status: 'pending', amount: 50000, refunded: 0 }, want: 0 },
    { name: 'failed', p: { status: 'failed', amount: 50000, refunded: 0 }, want: 0 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(refundable(c.p)).toBe(c.want);
    });
  }
});

describe('upsertPayment', () => {
  it('adds a new payment at the end', () => {
    expect(upsertPayment([payment({ id: 'a' })], payment({ id: 'b' })).map((p) => p.id)).toEqual(['a', 'b']);
  });

  it('replaces an older copy in place and keeps its refunds when the new one has none', () => {
    const refunds = [{ id: 'r1' }] as unknown as NonNullable<Payment['refunds']>;
    const list = [payment({ id: 'a', refunds }), payment({ id: 'b' })];
    const got = upsertPayment(list, payment({ id: 'a', status: 'succeeded', updated_at: '2026-05-01T09:58:00Z' }));
    expect(got.map((p) => [p.id, p.status])).toEqual([
      ['a', 'succeeded'],
      ['b', 'pending'],
    ]);
    expect(got[0]!.refunds).toBe(refunds);
  });

  it('ignores a copy older than the one it has', () => {
    const list = [payment({ id: 'a', status: 'succeeded', updated_at: '2026-05-01T09:58:00Z' })];
    expect(upsertPayment(list, payment({ id: 'a' }))[0]!.status).toBe('succeeded');
  });
});

describe('isPayment', () => {
  it('accepts a payment and refuses other events', () => {
    expect(isPayment(payment({}))).toBe(true);
    expect(isPayment({ id: 'o1', version: 3, status: 'paid' })).toBe(false);
    expect(isPayment(null)).toBe(false);
  });
});

describe('readVietQR', () => {
  // The payload the server made for a demo shop (Vietcombank), with its CRC.
  const payload =
    '00020101021238570010A00000072701270006970436011300110099504460208QRIBFTTA5204581253037045405500005802VN' +
    '5911GOODGO DEMO62400516GG3QW6J65NMEAGQJ0816GG3QW6J65NMEAGQJ6304C712';

  it('reads the bank, account, amount and transfer note', () => {
    expect(readVietQR(payload)).toEqual({
      bin: '970436',
      bank: 'Vietcombank',
      account: '0011009950446',
      accountName: 'GOODGO DEMO',
      amount: 50000,
      note: 'GG3QW6J65NMEAGQJ',
    });
  });

  it('refuses what is not a VietQR to an account', () => {
    expect(readVietQR('https://example.vn')).toBeUndefined();
    expect(readVietQR('000201010211')).toBeUndefined(); // no template 38
    expect(readVietQR('0002010102')).toBeUndefined(); // cut short
  });
});

describe('bankName', () => {
  it('knows the banks of the server list', () => {
    expect(bankName('970436')).toBe('Vietcombank');
    expect(bankName('970422')).toBe('MBBank');
    expect(bankName('123456')).toBeUndefined();
  });
});
