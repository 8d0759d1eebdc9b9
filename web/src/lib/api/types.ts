// Names for the API shapes the screens use, taken from the generated OpenAPI
// types (schema.d.ts, `npm run gen:api`), so a changed API shows up as a type error.
import type { components } from './schema';

type Schemas = components['schemas'];

export type Order = Schemas['Order'];
export type OrderLine = Schemas['Line'];
export type Totals = Schemas['Totals'];
export type TimeCharge = Schemas['TimeCharge'];
export type TimeStint = Schemas['TimeStint'];
/** The answer to taking a payment: the change of a cash one, the QR or the provider's page of an intent. */
export type PayResult = Schemas['PayResult'];
export type Payment = Schemas['Payment'];
export type AppliedPayment = Schemas['AppliedPayment'];
export type Refund = Schemas['Refund'];
export type BankTransfer = Schemas['BankTransfer'];
export type Wallet = Schemas['Wallet'];
export type WalletPage = Schemas['WalletPage'];
export type WalletTxn = Schemas['WalletTxn'];
export type SubmitResult = Schemas['SubmitOutputBody'];
export type SplitResult = Schemas['SplitOutputBody'];
export type SplitEqually = Schemas['SplitEquallyOutputBody'];
export type Floor = Schemas['Floor'];
export type Area = Schemas['AreaWithTables'];
export type Table = Schemas['Table'];
export type Room = Schemas['Room'];
export type Booking = Schemas['Booking'];
export type Menu = Schemas['Menu'];
export type MenuCategory = Schemas['MenuCategory'];
export type MenuProduct = Schemas['MenuProduct'];
export type ModifierGroup = Schemas['MenuModifierGroup'];
export type Ticket = Schemas['Ticket'];
export type Shop = Schemas['Shop'];
export type Me = Schemas['MeOutputBody'];
export type StaffMember = Schemas['StaffMember'];
export type NewDevice = Schemas['NewDevice'];
export type LoginResult = Schemas['LoginOutputBody'];
export type QROrderView = Schemas['QROrderView'];
export type PrintResult = Schemas['PrintOutputBody'];
export type QRTable = Schemas['QRTable'];
/** A payment a customer opened from the table's QR code: how to pay it, never staff details. */
export type CustomerPayment = Schemas['CustomerPayment'];
/** How a customer may pay from the table: VietQR or a provider's page. */
export type TablePayMethod = Schemas['TablePayInputBody']['method'];
export type Shift = Schemas['Shift'];
export type ShiftDetail = Schemas['ShiftDetail'];
export type ShiftSummary = Schemas['ShiftSummary'];
export type ShiftMovement = Schemas['ShiftMovement'];
export type ShiftCloseResult = Schemas['ShiftCloseResult'];

/** A list answer of the API: `{items, next_cursor?}`. */
export interface Page<T> {
  readonly items: readonly T[] | null;
  readonly next_cursor?: string;
}
