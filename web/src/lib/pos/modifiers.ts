// Choosing a product's options before it joins an order (POS and QR menu):
// which choices break a group's min/max, and what the line then costs.
import type { MenuProduct, ModifierGroup } from '../api/types';

/** A group whose choice is not yet acceptable, and why. */
export interface GroupProblem {
  readonly groupId: string;
  readonly kind: 'too_few' | 'too_many';
  readonly limit: number;
}

/** Returns the problems of a selection (option ids) against the product's groups; empty when it is fine. */
export function selectionProblems(groups: readonly ModifierGroup[], selected: ReadonlySet<string>): GroupProblem[] {
  const problems: GroupProblem[] = [];
  for (const g of groups) {
    const count = (g.options ?? []).filter((o) => selected.has(o.id)).length;
    if (count < g.min_select) problems.push({ groupId: g.id, kind: 'too_few', limit: g.min_select });
    else if (g.max_select > 0 && count > g.max_select) problems.push({ groupId: g.id, kind: 'too_many', limit: g.max_select });
  }
  return problems;
}

/**
 * Returns the selection after tapping an option: a single-choice group swaps
 * its choice; a multi-choice group toggles it, refusing to go past max.
 */
export function toggleOption(group: ModifierGroup, selected: ReadonlySet<string>, optionId: string): Set<string> {
  const next = new Set(selected);
  if (next.has(optionId)) {
    next.delete(optionId);
    return next;
  }
  const inGroup = (group.options ?? []).map((o) => o.id);
  if (group.max_select === 1) {
    for (const id of inGroup) next.delete(id);
  } else if (group.max_select > 0 && inGroup.filter((id) => next.has(id)).length >= group.max_select) {
    return next;
  }
  next.add(optionId);
  return next;
}

/** Returns the price of one unit: the product (or chosen variant) plus the options' price deltas. */
export function unitPrice(product: MenuProduct, selected: ReadonlySet<string>, variantId?: string): number {
  const variant = (product.variants ?? []).find((v) => v.id === variantId);
  let price = variant ? variant.price : product.price;
  for (const g of product.modifier_groups ?? []) {
    for (const o of g.options ?? []) if (selected.has(o.id)) price += o.price_delta;
  }
  return price;
}

/** Reports whether tapping the product needs the options dialog (groups or variants to choose). */
export function needsChoices(product: MenuProduct): boolean {
  return (product.modifier_groups ?? []).length > 0 || (product.variants ?? []).length > 0;
}

/** What a person chose in the options dialog. */
export interface Choice {
  readonly variantId?: string;
  readonly optionIds: string[];
  readonly quantity: number;
  readonly note: string;
}
