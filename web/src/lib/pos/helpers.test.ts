import { describe, expect, it } from 'vitest';
import type { Booking, ModifierGroup, Order, TimeStint } from '../api/types';
import { placeStates } from './floor';
import { selectionProblems, toggleOption } from './modifiers';
import { changeFor, quickTenders } from './tender';
import { elapsedSeconds } from './roomtime';
import { ageLevel } from '../kds/age';

const now = new Date('2026-11-23T12:00:00Z');

function order(p: Partial<Order>): Order {
  return { id: 'o', status: 'ordering', table_id: '', room_id: '', ...p } as Order;
}
function booking(p: Partial<Booking>): Booking {
  return { id: 'b', status: 'confirmed', table_id: '', room_id: '', ...p } as Booking;
}

describe('placeStates', () => {
  it('marks tables with live orders occupied or billing, and ignores closed orders and split checks', () => {
    const s = placeStates(
      [
        order({ id: '1', table_id: 't1' }),
        order({ id: '2', table_id: 't2', status: 'billing' }),
        order({ id: '3', table_id: 't3', status: 'closed' }),
        order({ id: '4', table_id: 't4', split_of: '9' }),
        order({ id: '5', room_id: 'r1', status: 'open' }),
      ],
      [],
      now,
    );
    expect(s.get('t1')?.status).toBe('occupied');
    expect(s.get('t2')?.status).toBe('billing');
    expect(s.has('t3')).toBe(false);
    expect(s.has('t4')).toBe(false);
    expect(s.get('r1')?.order?.id).toBe('5');
  });
  it('reserves a table whose booking starts within the hour, unless someone sits there', () => {
    const s = placeStates(
      [order({ table_id: 't2' })],
      [
        booking({ table_id: 't1', starts_at: '2026-11-23T12:30:00Z', ends_at: '2026-11-23T14:00:00Z' }),
        booking({ table_id: 't2', starts_at: '2026-11-23T12:30:00Z', ends_at: '2026-11-23T14:00:00Z' }),
        booking({ table_id: 't3', starts_at: '2026-11-23T15:00:00Z', ends_at: '2026-11-23T16:00:00Z' }),
        booking({ table_id: 't4', status: 'cancelled', starts_at: '2026-11-23T12:10:00Z', ends_at: '2026-11-23T13:00:00Z' }),
      ],
      now,
    );
    expect(s.get('t1')?.status).toBe('reserved');
    expect(s.get('t2')?.status).toBe('occupied');
    expect(s.has('t3')).toBe(false);
    expect(s.has('t4')).toBe(false);
  });
});

const sugar: ModifierGroup = {
  id: 'g1',
  name: 'Đường',
  min_select: 1,
  max_select: 1,
  options: [
    { id: 'a', name: 'Ít', price_delta: 0 },
    { id: 'b', name: 'Nhiều', price_delta: 0 },
  ],
};
const toppings: ModifierGroup = {
  id: 'g2',
  name: 'Topping',
  min_select: 0,
  max_select: 2,
  options: [
    { id: 'x', name: 'Trân châu', price_delta: 5000 },
    { id: 'y', name: 'Thạch', price_delta: 5000 },
    { id: 'z', name: 'Pudding', price_delta: 8000 },
  ],
};

describe('modifier selection', () => {
  it('asks for the required choice', () => {
    expect(selectionProblems([sugar, toppings], new Set())).toEqual([{ groupId: 'g1', kind: 'too_few', limit: 1 }]);
    expect(selectionProblems([sugar, toppings], new Set(['a', 'x', 'y']))).toEqual([]);
  });
  it('swaps a single choice and stops a multi choice at its max', () => {
    expect([...toggleOption(sugar, new Set(['a']), 'b')]).toEqual(['b']);
    const two = toggleOption(toppings, toggleOption(toppings, new Set(), 'x'), 'y');
    expect([...toggleOption(toppings, two, 'z')].sort()).toEqual(['x', 'y']);
    expect([...toggleOption(toppings, two, 'x')]).toEqual(['y']);
  });
});

describe('cash tender', () => {
  it('offers the exact amount and the next notes up', () => {
    expect(quickTenders(185_000)).toEqual([185_000, 190_000, 200_000, 500_000, 1_000_000]);
    expect(quickTenders(50_000)).toEqual([50_000, 60_000, 100_000, 200_000, 500_000]);
    expect(quickTenders(0)).toEqual([]);
  });
  it('gives change only for enough cash', () => {
    expect(changeFor(185_000, 200_000)).toBe(15_000);
    expect(changeFor(185_000, 100_000)).toBeUndefined();
  });
});

describe('room time', () => {
  it('adds closed stints and runs the open one until now', () => {
    const stints = [
      { started_at: '2026-11-23T10:00:00Z', ended_at: '2026-11-23T10:30:00Z' },
      { started_at: '2026-11-23T11:50:00Z', ended_at: null },
    ] as TimeStint[];
    expect(elapsedSeconds(stints, now)).toBe(40 * 60);
    expect(elapsedSeconds(null, now)).toBe(0);
  });
});

describe('ticket age', () => {
  it('turns amber at 5 minutes and red at 10', () => {
    expect(ageLevel('2026-11-23T11:56:00Z', now)).toBe('fresh');
    expect(ageLevel('2026-11-23T11:55:00Z', now)).toBe('warn');
    expect(ageLevel('2026-11-23T11:49:00Z', now)).toBe('late');
  });
});
