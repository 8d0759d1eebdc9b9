import { describe, expect, it } from 'vitest';
import { parseAmount, varianceKind } from './drawer';

describe('varianceKind', () => {
  const cases: { variance: number; want: ReturnType<typeof varianceKind> }[] = [
    { variance: 0, want: 'even' },
    { variance: 1000, want: 'over' },
    { variance: -10000, want: 'short' },
  ];
  for (const c of cases) {
    it(`${c.variance} → ${c.want}`, () => expect(varianceKind(c.variance)).toBe(c.want));
  }
});

describe('parseAmount', () => {
  const cases: { text: string; want: number | undefined }[] = [
    { text: '500000', want: 500000 },
    { text: '500.000', want: 500000 },
    { text: ' 1 250 000 ', want: 1250000 },
    { text: '2,000,000', want: 2000000 },
    { text: '0', want: 0 },
    { text: '', want: undefined },
    { text: '-5000', want: undefined },
    { text: '12abc', want: undefined },
    { text: '1e6', want: undefined },
    { text: '1000000001', want: undefined },
  ];
  for (const c of cases) {
    it(`"${c.text}" → ${String(c.want)}`, () => expect(parseAmount(c.text)).toBe(c.want));
  }
});
