// The customer's cart on the QR menu, kept per device (localStorage, by table
// token): the API has no shared table cart, so each phone orders its own
// lines, which all join the table's one order when placed.
import type { MenuProduct } from './api/types';
import type { KeyValueStore } from './locale.svelte';
import { unitPrice, type Choice } from './pos/modifiers';

/** One cart line: a product with its choices and what one unit costs. */
export interface CartLine {
  readonly id: string;
  readonly productId: string;
  readonly name: string;
  readonly variantId?: string;
  readonly optionIds: readonly string[];
  readonly optionNames: readonly string[];
  readonly note: string;
  readonly quantity: number;
  readonly unitPrice: number;
}

/** Returns the cart line for a product and the choices made for it. */
export function cartLine(p: MenuProduct, c: Choice, id: string): CartLine {
  const selected = new Set(c.optionIds);
  const optionNames = (p.modifier_groups ?? []).flatMap((g) => (g.options ?? []).filter((o) => selected.has(o.id)).map((o) => o.name));
  const variant = (p.variants ?? []).find((v) => v.id === c.variantId);
  return {
    id,
    productId: p.id,
    name: variant ? `${p.name} (${variant.name})` : p.name,
    ...(c.variantId ? { variantId: c.variantId } : {}),
    optionIds: [...c.optionIds],
    optionNames,
    note: c.note,
    quantity: c.quantity,
    unitPrice: unitPrice(p, selected, c.variantId),
  };
}

/** Returns the cart with line's quantity set (0 removes it). */
export function setQuantity(cart: readonly CartLine[], id: string, quantity: number): CartLine[] {
  if (quantity <= 0) return cart.filter((l) => l.id !== id);
  return cart.map((l) => (l.id === id ? { ...l, quantity: Math.min(99, quantity) } : l));
}

/** Returns what the cart costs (an estimate: the server prices the order). */
export function cartTotal(cart: readonly CartLine[]): number {
  return cart.reduce((sum, l) => sum + l.unitPrice * l.quantity, 0);
}

/** Returns the body of POST /public/tables/{qr_token}/orders for the cart. */
export function orderBody(cart: readonly CartLine[]): { lines: Record<string, unknown>[] } {
  return {
    lines: cart.map((l) => ({
      product_id: l.productId,
      quantity: l.quantity,
      ...(l.variantId ? { variant_id: l.variantId } : {}),
      ...(l.optionIds.length > 0 ? { modifier_option_ids: [...l.optionIds] } : {}),
      ...(l.note ? { note: l.note } : {}),
    })),
  };
}

/** Reads a saved value (cart or last order) of this device. */
export function readSaved<T>(store: KeyValueStore | undefined, key: string, valid: (v: unknown) => v is T): T | undefined {
  try {
    const raw = store?.getItem(key);
    if (!raw) return undefined;
    const v = JSON.parse(raw) as unknown;
    return valid(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Saves a value (undefined clears it). */
export function writeSaved(store: KeyValueStore | undefined, key: string, value: unknown): void {
  try {
    store?.setItem(key, value === undefined ? '' : JSON.stringify(value));
  } catch {
    // Storage disabled: it lasts for this visit.
  }
}

/** Reports whether v looks like a saved cart. */
export function isCart(v: unknown): v is CartLine[] {
  return (
    Array.isArray(v) &&
    v.every((l) => typeof l === 'object' && l !== null && typeof l.productId === 'string' && typeof l.quantity === 'number')
  );
}
