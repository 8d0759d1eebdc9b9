// Customers calling staff from a table's QR code (table.staff_called on the
// shop's stream): which tables and rooms are calling, and why, until a member
// of staff dismisses the call on the floor plan.

/** Why a customer called: come to the table, bring the bill, bring water. */
export type CallReason = 'call' | 'bill' | 'water';

const reasons: readonly string[] = ['call', 'bill', 'water'] satisfies CallReason[];

/** One open call from a table or room. */
export interface StaffCall {
  /** One call per place and reason: a second tap for the same thing refreshes it. */
  readonly key: string;
  readonly placeId: string;
  readonly placeName: string;
  readonly reason: CallReason;
  /** When this screen heard it (RFC 3339). */
  readonly at: string;
}

/** Returns the call an event's data describes, or undefined when it is malformed. */
export function parseStaffCall(data: unknown, at: Date): StaffCall | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const d = data as Record<string, unknown>;
  const placeId = (typeof d['table_id'] === 'string' && d['table_id']) || (typeof d['room_id'] === 'string' && d['room_id']) || '';
  const reason = typeof d['reason'] === 'string' && reasons.includes(d['reason']) ? (d['reason'] as CallReason) : undefined;
  if (!placeId || !reason) return undefined;
  const placeName = typeof d['place_name'] === 'string' ? d['place_name'] : '';
  return { key: `${placeId}:${reason}`, placeId, placeName, reason, at: at.toISOString() };
}

/** Returns calls with call added: newest last, replacing an open call of the same place and reason. */
export function addCall(calls: readonly StaffCall[], call: StaffCall): StaffCall[] {
  return [...calls.filter((c) => c.key !== call.key), call];
}

/** Returns calls without the one keyed key. */
export function dismissCall(calls: readonly StaffCall[], key: string): StaffCall[] {
  return calls.filter((c) => c.key !== key);
}

/** Returns the open calls of a table or room, oldest first. */
export function callsAt(calls: readonly StaffCall[], placeId: string): StaffCall[] {
  return calls.filter((c) => c.placeId === placeId);
}
