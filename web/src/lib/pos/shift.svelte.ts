// The signed-in cashier's shift at this shop's till (GET …/shifts/current):
// opened with the float in the drawer, cash put in or taken out with a reason,
// and closed with the cash counted, which the server compares with what the
// drawer should hold. Bound to this terminal when the browser is one.
import { ApiError, type ApiClient } from '../api/client';
import type { Shift, ShiftCloseResult, ShiftDetail, ShiftMovement } from '../api/types';

/** The cashier's shift as this screen knows it. */
export class CashShift {
  /** The open shift with its drawer's summary; null when none is open; undefined until known. */
  current: ShiftDetail | null | undefined = $state();
  /** The cashier chose to take cash without a shift this time: not asked again until they sign in anew. */
  declined = $state(false);
  readonly #api: ApiClient;
  readonly #shopId: string;
  readonly #deviceId: string | undefined;

  /** deviceId: the registered terminal of this shop this browser is, if any. */
  constructor(api: ApiClient, shopId: string, deviceId?: string) {
    this.#api = api;
    this.#shopId = shopId;
    this.#deviceId = deviceId;
  }

  /** Reports whether the cashier should be asked to open a shift before taking cash. */
  get shouldPrompt(): boolean {
    return this.current === null && !this.declined;
  }

  /** Fetches the open shift (null when there is none). */
  async load(): Promise<void> {
    try {
      this.current = await this.#api.get<ShiftDetail>(`/api/v1/shops/${encodeURIComponent(this.#shopId)}/shifts/current`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) this.current = null;
      else throw err;
    }
  }

  /** Opens a shift with openingCash đồng in the drawer. key: the Idempotency-Key of this attempt. */
  async open(openingCash: number, key: string): Promise<void> {
    const body: Record<string, unknown> = { opening_cash: openingCash };
    if (this.#deviceId) body['device_id'] = this.#deviceId;
    await this.#api.post<Shift>(`/api/v1/shops/${encodeURIComponent(this.#shopId)}/shifts`, body, { idempotencyKey: key });
    this.declined = false;
    await this.load();
  }

  /** Records cash put into (in) or taken out of (out) the drawer. */
  async moveCash(type: 'in' | 'out', amount: number, reason: string, key: string): Promise<void> {
    await this.#api.post<ShiftMovement>(`${this.#path()}/cash-movements`, { type, amount, reason }, { idempotencyKey: key });
    await this.load();
  }

  /** Closes the shift with the cash counted; answers the expected cash and the variance. */
  async close(countedCash: number, note: string, key: string): Promise<ShiftCloseResult> {
    const body: Record<string, unknown> = { counted_cash: countedCash };
    if (note) body['note'] = note;
    const res = await this.#api.post<ShiftCloseResult>(`${this.#path()}/close`, body, { idempotencyKey: key });
    this.current = null;
    return res;
  }

  /** The open shift's drawer movements, oldest first. */
  async movements(): Promise<ShiftMovement[]> {
    const page = await this.#api.get<{ items: ShiftMovement[] | null }>(`${this.#path()}/movements`, { query: { limit: 200 } });
    return page.items ?? [];
  }

  #path(): string {
    if (!this.current) throw new Error('no open shift');
    return `/api/v1/shifts/${encodeURIComponent(this.current.id)}`;
  }
}
