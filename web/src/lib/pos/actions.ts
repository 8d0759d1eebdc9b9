// What staff can ask of an order from its panel, and when each applies.
import type { AppliedPayment, Order, OrderLine } from '../api/types';

/** An action chosen in the order panel. */
export type PanelAction =
  | { readonly kind: 'qty'; readonly line: OrderLine; readonly quantity: number }
  | { readonly kind: 'void'; readonly line: OrderLine }
  | { readonly kind: 'line_discount'; readonly line: OrderLine }
  | { readonly kind: 'refund'; readonly payment: AppliedPayment }
  | {
      readonly kind:
        | 'submit'
        | 'pay'
        | 'bill'
        | 'move'
        | 'split'
        | 'discount'
        | 'receipt'
        | 'close'
        | 'cancel'
        | 'pause'
        | 'resume'
        | 'change_room';
    };

/** Statuses in which an order can still change. */
export function isLive(o: Order): boolean {
  return o.status !== 'closed' && o.status !== 'cancelled';
}

/** The lines not yet sent to the kitchen. */
export function unsentLines(o: Order): OrderLine[] {
  return (o.lines ?? []).filter((l) => l.status === 'new');
}

/** Reports whether the order can be closed: live, and nothing left to pay. */
export function canClose(o: Order): boolean {
  return isLive(o) && o.totals.amount_due === 0 && unsentLines(o).length === 0;
}
