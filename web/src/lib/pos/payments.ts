// The arithmetic and reading behind the POS payment screen, kept pure so it is
// unit-tested: what an order's pending intents hold and what may still be
// taken (split tender), which payments can be refunded, and what a VietQR says
// (bank, account, amount, transfer note) so the screen can print it beside the code.
import type { Payment, Totals } from '../api/types';
import banksCsv from '../../../../internal/payment/vietqr/banks.csv?raw';

/** A payment method of the API. */
export type PayMethod = Payment['method'];

/** The methods in the order the payment screen offers them. */
export const payMethods: readonly PayMethod[] = ['cash', 'vietqr', 'vnpay', 'momo', 'zalopay', 'wallet'];

/** Reports whether m names a payment method (lists of applied payments carry it as a plain string). */
export function isPayMethod(m: string): m is PayMethod {
  return (payMethods as readonly string[]).includes(m);
}

/** Methods whose payment goes through a provider's page (a QR of its URL for the customer). */
export function isProviderPage(method: PayMethod): method is 'vnpay' | 'momo' | 'zalopay' {
  return method === 'vnpay' || method === 'momo' || method === 'zalopay';
}

/**
 * Reports whether a payment holds part of the bill: pending and not yet
 * expired (the server lets a new payment take at most due − holds).
 */
export function isHolding(p: Pick<Payment, 'status' | 'expires_at'>, now: Date): boolean {
  if (p.status !== 'pending') return false;
  if (!p.expires_at) return true;
  const at = Date.parse(p.expires_at);
  return Number.isNaN(at) || at > now.getTime();
}

/** What a bill stands at: taken, held by pending intents, and what may be taken now. */
export interface Tally {
  readonly total: number;
  readonly paid: number;
  readonly held: number;
  /** Amount due less the holds, never below 0: the most a new payment may take. */
  readonly takeable: number;
}

/** Returns the tally of an order from its totals and its payments. */
export function tally(totals: Pick<Totals, 'total' | 'paid' | 'amount_due'>, payments: readonly Payment[], now: Date): Tally {
  const held = payments.filter((p) => isHolding(p, now)).reduce((sum, p) => sum + p.amount, 0);
  return { total: totals.total, paid: totals.paid, held, takeable: Math.max(0, totals.amount_due - held) };
}

/** Returns what is left to refund of a payment: 0 unless it succeeded. */
export function refundable(p: { readonly status: string; readonly amount: number; readonly refunded?: number | undefined }): number {
  if (p.status !== 'succeeded') return 0;
  return Math.max(0, p.amount - (p.refunded ?? 0));
}

/** Inserts a payment in a list, or replaces the older copy with the same id (keeps the list's order). */
export function upsertPayment(list: readonly Payment[], p: Payment): Payment[] {
  const i = list.findIndex((x) => x.id === p.id);
  if (i < 0) return [...list, p];
  if (Date.parse(list[i]!.updated_at) > Date.parse(p.updated_at)) return [...list];
  // The stream's copy carries no refunds: keep the ones the list has.
  return list.map((x, k) => {
    if (k !== i) return x;
    const refunds = p.refunds ?? x.refunds;
    return refunds ? { ...p, refunds } : p;
  });
}

/** Reports whether data looks like a payment pushed by the shop's stream. */
export function isPayment(data: unknown): data is Payment {
  if (typeof data !== 'object' || data === null) return false;
  const p = data as Record<string, unknown>;
  return typeof p['id'] === 'string' && typeof p['order_id'] === 'string' && typeof p['status'] === 'string' && typeof p['amount'] === 'number';
}

/** What a VietQR payload says, as far as the payment screen shows it. */
export interface VietQRInfo {
  /** The bank's BIN (NAPAS BNB ID) and its short name when known. */
  readonly bin: string;
  readonly bank: string | undefined;
  readonly account: string;
  readonly accountName: string;
  readonly amount: number | undefined;
  /** The transfer note the payer's bank app fills in (ID 62-08). */
  readonly note: string;
}

/**
 * Reads an EMVCo/NAPAS VietQR payload: ID (2 digits), length (2 digits),
 * value, with templates 38, 38/01 and 62 nested the same way. Undefined when
 * the payload is not a readable VietQR to a bank account.
 */
export function readVietQR(payload: string): VietQRInfo | undefined {
  const top = readObjects(payload);
  if (!top) return undefined;
  const merchant = top.get('38');
  const beneficiary = merchant ? readObjects(merchant)?.get('01') : undefined;
  const ids = beneficiary ? readObjects(beneficiary) : undefined;
  const bin = ids?.get('00');
  const account = ids?.get('01');
  if (!bin || !account) return undefined;
  const amount = top.get('54');
  const extra = top.get('62');
  return {
    bin,
    bank: bankName(bin),
    account,
    accountName: top.get('59') ?? '',
    amount: amount && /^\d+$/.test(amount) ? Number.parseInt(amount, 10) : undefined,
    note: (extra ? readObjects(extra)?.get('08') : undefined) ?? '',
  };
}

function readObjects(s: string): Map<string, string> | undefined {
  const out = new Map<string, string>();
  let i = 0;
  while (i < s.length) {
    const id = s.slice(i, i + 2);
    const len = s.slice(i + 2, i + 4);
    if (!/^\d\d$/.test(id) || !/^\d\d$/.test(len)) return undefined;
    const n = Number.parseInt(len, 10);
    if (i + 4 + n > s.length) return undefined;
    out.set(id, s.slice(i + 4, i + 4 + n));
    i += 4 + n;
  }
  return out;
}

// The bank list is the server's own (payment/vietqr/banks.csv), bundled as is.
const banks: ReadonlyMap<string, string> = new Map(
  banksCsv
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith('bin,'))
    .map((line) => {
      const [bin = '', , name = ''] = line.split(',');
      return [bin, name] as const;
    }),
);

/** Returns the short name of the bank with that BIN, undefined when the list does not have it. */
export function bankName(bin: string): string | undefined {
  return banks.get(bin);
}
