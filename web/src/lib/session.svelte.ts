// Who is signed in on this screen: the tokens (kept in localStorage so a
// reload keeps the terminal signed in), the account with its roles, and the
// shop being worked. Access tokens live 15 minutes; the session refreshes them
// shortly before they expire, one refresh at a time across the browser's tabs
// (refresh tokens rotate, and reusing an old one signs every tab out).
import { createContext } from 'svelte';
import { ApiClient, ApiError } from './api/client';
import type { LoginResult, Me, Page, Shop } from './api/types';
import type { KeyValueStore } from './locale.svelte';

const storageKey = 'goodgo.session';
/** Refresh when less than this is left of the access token. */
const refreshMarginMs = 60_000;

/** The stored part of a session. */
interface StoredSession {
  readonly access_token: string;
  readonly refresh_token: string;
  /** Epoch milliseconds when the access token expires. */
  readonly expires_at: number;
  readonly shop_id?: string;
}

/** What a password sign-in needs next. */
export type LoginStep = { readonly done: true } | { readonly done: false; readonly mfaToken: string };

/** Roles of the staff screens, as the API names them. */
export type Role = 'owner' | 'manager' | 'cashier' | 'waiter' | 'kitchen' | 'admin' | 'customer';

/** The signed-in state of the app, shared through context. */
export class Session {
  me: Me | undefined = $state();
  shops: Shop[] = $state([]);
  shopId: string | undefined = $state();
  /** True once the stored session (if any) has been checked with the server. */
  ready = $state(false);
  readonly api: ApiClient;
  #stored: StoredSession | undefined = $state();
  readonly #store: KeyValueStore | undefined;
  #refreshing: Promise<void> | undefined;

  readonly signedIn = $derived(this.#stored !== undefined && this.me !== undefined);
  readonly shop = $derived(this.shops.find((s) => s.id === this.shopId));
  /** The caller's roles in the current shop: merchant-wide ones and the shop's own. */
  readonly roles: readonly string[] = $derived.by(() => {
    const me = this.me;
    if (!me) return [];
    const shopRoles = (this.shopId && (me.shop_roles as Record<string, string[] | undefined>)[this.shopId]) || [];
    return [...(me.roles ?? []), ...shopRoles];
  });

  constructor(store?: KeyValueStore, fetchFn?: typeof fetch) {
    this.#store = store;
    this.#stored = readStored(store);
    this.shopId = this.#stored?.shop_id;
    this.api = new ApiClient({
      accessToken: () => this.accessToken(),
      ...(fetchFn ? { fetch: fetchFn } : {}),
    });
  }

  /** Reports whether the signed-in person holds one of roles in the current shop. */
  hasRole(...roles: Role[]): boolean {
    return this.roles.some((r) => (roles as string[]).includes(r));
  }

  /** Loads the account of a stored session; a session the server refuses is forgotten. */
  async restore(): Promise<void> {
    try {
      if (this.#stored) await this.#loadAccount();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) this.#forget();
      else throw err;
    } finally {
      this.ready = true;
    }
  }

  /** Signs in with email and password; MFA accounts then need loginMfa. */
  async login(email: string, password: string): Promise<LoginStep> {
    const res = await this.api.post<LoginResult>('/api/v1/auth/login', { email, password });
    if (res.mfa_required && res.mfa_token) return { done: false, mfaToken: res.mfa_token };
    await this.#adopt(res);
    return { done: true };
  }

  /** Second step of an MFA sign-in with a TOTP or recovery code. */
  async loginMfa(mfaToken: string, code: string): Promise<void> {
    await this.#adopt(await this.api.post<LoginResult>('/api/v1/auth/login/mfa', { mfa_token: mfaToken, code }));
  }

  /** Signs a staff member in with their PIN on a shop terminal. */
  async pinLogin(shopId: string, staffId: string, pin: string, deviceSecret?: string): Promise<void> {
    const body: Record<string, string> = { shop_id: shopId, staff_id: staffId, pin };
    if (deviceSecret) body['device_id'] = deviceSecret;
    await this.#adopt(await this.api.post<LoginResult>('/api/v1/auth/pin-login', body), shopId);
  }

  /** Signs out: the server ends the refresh token's session, this screen forgets it. */
  async logout(): Promise<void> {
    const stored = this.#stored;
    this.#forget();
    if (stored) {
      try {
        await this.api.post('/api/v1/auth/logout', { refresh_token: stored.refresh_token });
      } catch {
        // Signed out here either way; the refresh token expires on its own.
      }
    }
  }

  /** Chooses the shop the staff screens work on. */
  selectShop(shopId: string): void {
    this.shopId = shopId;
    if (this.#stored) this.#save({ ...this.#stored, shop_id: shopId });
  }

  /** Returns a valid access token, refreshing it first when it is about to expire. */
  async accessToken(): Promise<string | undefined> {
    this.#adoptNewerFromStore();
    const stored = this.#stored;
    if (!stored) return undefined;
    if (stored.expires_at - Date.now() > refreshMarginMs) return stored.access_token;
    await this.#refresh();
    return this.#stored?.access_token;
  }

  async #refresh(): Promise<void> {
    this.#refreshing ??= this.#withLock(async () => {
      // Another tab may have refreshed while this one waited for the lock.
      this.#adoptNewerFromStore();
      const stored = this.#stored;
      if (!stored || stored.expires_at - Date.now() > refreshMarginMs) return;
      try {
        const res = await new ApiClient().post<LoginResult>('/api/v1/auth/refresh', {
          refresh_token: stored.refresh_token,
        });
        this.#save(tokensOf(res, stored.shop_id));
      } catch (err) {
        if (err instanceof ApiError && (err.status === 401 || err.status === 403)) this.#forget();
        else throw err;
      }
    }).finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  // Runs fn under a browser-wide lock when the Web Locks API exists.
  async #withLock(fn: () => Promise<void>): Promise<void> {
    const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
    if (locks) {
      await locks.request('goodgo.session.refresh', fn);
      return;
    }
    await fn();
  }

  async #adopt(res: LoginResult, shopId?: string): Promise<void> {
    this.#save(tokensOf(res, shopId));
    await this.#loadAccount();
  }

  async #loadAccount(): Promise<void> {
    const me = await this.api.get<Me>('/api/v1/me');
    const page = await this.api.get<Page<Shop>>('/api/v1/shops', { query: { limit: 100 } });
    const shops = [...(page.items ?? [])];
    this.me = me;
    this.shops = shops;
    if (!shops.some((s) => s.id === this.shopId)) {
      const only = shops.length === 1 ? shops[0] : undefined;
      this.shopId = only?.id;
      if (this.#stored) this.#save({ ...this.#stored, ...(only ? { shop_id: only.id } : {}) });
    }
  }

  #adoptNewerFromStore(): void {
    const saved = readStored(this.#store);
    if (saved && this.#stored && saved.refresh_token !== this.#stored.refresh_token && saved.expires_at > this.#stored.expires_at) {
      this.#stored = { ...saved, ...(this.#stored.shop_id ? { shop_id: this.#stored.shop_id } : {}) };
    }
  }

  #save(s: StoredSession): void {
    this.#stored = s;
    try {
      this.#store?.setItem(storageKey, JSON.stringify(s));
    } catch {
      // No storage: the session lasts for this page only.
    }
  }

  #forget(): void {
    this.#stored = undefined;
    this.me = undefined;
    this.shops = [];
    try {
      this.#store?.setItem(storageKey, '');
    } catch {
      // Nothing stored then.
    }
  }
}

function tokensOf(res: LoginResult, shopId: string | undefined): StoredSession {
  if (!res.access_token || !res.refresh_token) throw new Error('sign-in answer without tokens');
  return {
    access_token: res.access_token,
    refresh_token: res.refresh_token,
    expires_at: Date.now() + (res.expires_in ?? 900) * 1000,
    ...(shopId ? { shop_id: shopId } : {}),
  };
}

function readStored(store: KeyValueStore | undefined): StoredSession | undefined {
  try {
    const raw = store?.getItem(storageKey);
    if (!raw) return undefined;
    const v = JSON.parse(raw) as Partial<StoredSession>;
    if (typeof v.access_token !== 'string' || typeof v.refresh_token !== 'string' || typeof v.expires_at !== 'number') {
      return undefined;
    }
    return {
      access_token: v.access_token,
      refresh_token: v.refresh_token,
      expires_at: v.expires_at,
      ...(typeof v.shop_id === 'string' ? { shop_id: v.shop_id } : {}),
    };
  } catch {
    return undefined;
  }
}

const [getSession, setSession] = createContext<Session>();

/** Returns the Session provided by the staff app. */
export const useSession = getSession;

/** Makes session available to every component below the caller. */
export const provideSession = setSession;
