import { describe, expect, it } from 'vitest';
import { addCall, callsAt, dismissCall, parseStaffCall } from './calls';

const at = new Date('2026-11-23T12:00:00Z');

describe('parseStaffCall', () => {
  it('reads a table call', () => {
    expect(parseStaffCall({ table_id: 't1', room_id: '', place_name: 'S1', reason: 'bill' }, at)).toEqual({
      key: 't1:bill',
      placeId: 't1',
      placeName: 'S1',
      reason: 'bill',
      at: '2026-11-23T12:00:00.000Z',
    });
  });
  it('reads a room call', () => {
    expect(parseStaffCall({ table_id: '', room_id: 'r2', place_name: 'Phòng 2', reason: 'water' }, at)?.placeId).toBe('r2');
  });
  const bad: { name: string; data: unknown }[] = [
    { name: 'no place', data: { table_id: '', room_id: '', reason: 'call' } },
    { name: 'unknown reason', data: { table_id: 't1', reason: 'dance' } },
    { name: 'not an object', data: 'call' },
    { name: 'null', data: null },
  ];
  for (const c of bad) {
    it(`ignores ${c.name}`, () => expect(parseStaffCall(c.data, at)).toBeUndefined());
  }
});

describe('calls', () => {
  const a = parseStaffCall({ table_id: 't1', place_name: 'S1', reason: 'call' }, at)!;
  const b = parseStaffCall({ table_id: 't2', place_name: 'S2', reason: 'bill' }, at)!;
  const c = parseStaffCall({ table_id: 't1', place_name: 'S1', reason: 'water' }, at)!;
  it('keeps one call per place and reason, the newest last', () => {
    const again = { ...a, at: '2026-11-23T12:05:00.000Z' };
    const got = addCall(addCall(addCall([a], b), c), again);
    expect(got.map((x) => x.key)).toEqual(['t2:bill', 't1:water', 't1:call']);
    expect(got.at(-1)?.at).toBe('2026-11-23T12:05:00.000Z');
  });
  it('lists a place’s calls and dismisses one', () => {
    const all = [a, b, c];
    expect(callsAt(all, 't1').map((x) => x.reason)).toEqual(['call', 'water']);
    expect(dismissCall(all, 't1:call').map((x) => x.key)).toEqual(['t2:bill', 't1:water']);
  });
});
