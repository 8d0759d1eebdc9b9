import { describe, expect, it } from 'vitest';
import { formatClock, formatDuration, formatVND, shopDate } from './format';

describe('formatVND', () => {
  it.each([
    [0, '0\u00a0₫'],
    [500, '500\u00a0₫'],
    [1000, '1.000\u00a0₫'],
    [185000, '185.000\u00a0₫'],
    [12345678, '12.345.678\u00a0₫'],
    [-25000, '-25.000\u00a0₫'],
  ])('formats %d as %s', (amount, want) => {
    expect(formatVND(amount)).toBe(want);
  });
});

describe('formatClock', () => {
  it('shows the time in GMT+7 whatever the zone of the instant', () => {
    expect(formatClock('2026-11-23T15:48:46Z', 'vi')).toBe('22:48');
    expect(formatClock('2026-11-23T20:05:00+03:00', 'en')).toBe('00:05');
  });
  it('gives nothing for a malformed instant', () => {
    expect(formatClock('not a time', 'vi')).toBe('');
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0:00'],
    [59.9, '0:59'],
    [61, '1:01'],
    [3600, '1:00:00'],
    [3 * 3600 + 5 * 60 + 9, '3:05:09'],
    [-5, '0:00'],
  ])('formats %d s as %s', (s, want) => {
    expect(formatDuration(s)).toBe(want);
  });
});

describe('shopDate', () => {
  it('rolls over at midnight GMT+7, not UTC', () => {
    expect(shopDate(new Date('2026-11-23T16:59:59Z'))).toBe('2026-11-23');
    expect(shopDate(new Date('2026-11-23T17:00:00Z'))).toBe('2026-11-24');
  });
});
