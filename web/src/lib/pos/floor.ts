// The live state of each table and room on the floor plan, worked out from
// what the API gives: the live orders (occupied, or billing once the bill was
// asked for) and today's bookings (reserved when one starts soon and nobody
// sits there yet).
import type { Booking, Order } from '../api/types';

/** What a table or room tile shows. */
export type PlaceStatus = 'free' | 'occupied' | 'billing' | 'reserved';

/** A place's status with the order or booking behind it. */
export interface PlaceState {
  readonly status: PlaceStatus;
  readonly order?: Order;
  readonly booking?: Booking;
}

/** A booking makes its table "reserved" from this long before its slot starts. */
export const reservedLeadMs = 60 * 60 * 1000;

const liveBookingStatuses = new Set(['pending', 'confirmed']);

/**
 * Returns the state of every table and room that has one, keyed by table or
 * room id; places missing from the map are free. An order outranks a booking;
 * checks split off an order (split_of) never take a table.
 */
export function placeStates(
  orders: readonly Order[],
  bookings: readonly Booking[],
  now: Date,
): Map<string, PlaceState> {
  const states = new Map<string, PlaceState>();
  const t = now.getTime();
  for (const b of bookings) {
    const place = b.table_id || b.room_id;
    if (!place || !liveBookingStatuses.has(b.status)) continue;
    const starts = Date.parse(b.starts_at);
    const ends = Date.parse(b.ends_at);
    if (t >= ends || starts - t > reservedLeadMs) continue;
    const current = states.get(place);
    if (!current?.booking || Date.parse(current.booking.starts_at) > starts) {
      states.set(place, { status: 'reserved', booking: b });
    }
  }
  for (const o of orders) {
    const place = o.table_id || o.room_id;
    if (!place || o.split_of) continue;
    if (o.status === 'closed' || o.status === 'cancelled') continue;
    states.set(place, { status: o.status === 'billing' ? 'billing' : 'occupied', order: o });
  }
  return states;
}
