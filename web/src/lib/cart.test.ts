import { describe, expect, it } from 'vitest';
import type { MenuProduct } from './api/types';
import { cartLine, cartTotal, orderBody, setQuantity } from './cart';

const tea = {
  id: 'p1',
  name: 'Trà sữa',
  price: 35000,
  variants: [],
  modifier_groups: [
    { id: 'g', name: 'Topping', min_select: 0, max_select: 2, options: [{ id: 'o1', name: 'Trân châu', price_delta: 5000 }] },
  ],
} as unknown as MenuProduct;

describe('cart', () => {
  it('prices a line with its options and totals the cart', () => {
    const a = cartLine(tea, { optionIds: ['o1'], quantity: 2, note: 'ít đá' }, 'a');
    expect(a.unitPrice).toBe(40000);
    expect(a.optionNames).toEqual(['Trân châu']);
    const b = cartLine(tea, { optionIds: [], quantity: 1, note: '' }, 'b');
    expect(cartTotal([a, b])).toBe(115000);
  });
  it('changes and removes quantities', () => {
    const a = cartLine(tea, { optionIds: [], quantity: 1, note: '' }, 'a');
    expect(setQuantity([a], 'a', 3)[0]?.quantity).toBe(3);
    expect(setQuantity([a], 'a', 0)).toEqual([]);
  });
  it('sends only what the API takes', () => {
    const a = cartLine(tea, { optionIds: ['o1'], quantity: 2, note: 'ít đá' }, 'a');
    const b = cartLine(tea, { optionIds: [], quantity: 1, note: '' }, 'b');
    expect(orderBody([a, b])).toEqual({
      lines: [
        { product_id: 'p1', quantity: 2, modifier_option_ids: ['o1'], note: 'ít đá' },
        { product_id: 'p1', quantity: 1 },
      ],
    });
  });
});
