// Mutations that must not be lost when the connection drops. An action is sent
// at once; when no answer comes back (NetworkError) it is kept, in order, with
// its Idempotency-Key, and sent again when the connection returns. The server
// replays the first answer for a key it has seen, so an action whose answer was
// lost is never applied twice. The queue survives a reload (localStorage).
import { createContext } from 'svelte';
import { ApiError, NetworkError, newIdempotencyKey, type ApiClient, type Method } from './api/client';
import type { KeyValueStore } from './locale.svelte';

const storageKey = 'goodgo.outbox';
const retryMs = [1000, 2000, 4000, 8000];

/** A mutation waiting to be sent again. */
export interface QueuedAction {
  readonly key: string;
  readonly method: Exclude<Method, 'GET'>;
  readonly path: string;
  readonly body?: unknown;
  /** What the screens group it under, e.g. the order id it changes. */
  readonly scope: string;
  /** Shown to staff while it waits, e.g. the product name. */
  readonly label: string;
}

/** The outcome of run: done with the server's answer, or queued for later. */
export type RunResult<T> = { readonly queued: false; readonly value: T } | { readonly queued: true };

/** A queued action the server refused when it was finally sent. */
export interface Rejection {
  readonly label: string;
  readonly message: string;
}

/** The queue of unsent mutations and the browser's idea of being online. */
export class Outbox {
  items: QueuedAction[] = $state([]);
  online = $state(true);
  rejected: Rejection[] = $state([]);
  readonly #api: ApiClient;
  readonly #store: KeyValueStore | undefined;
  readonly #applied = new Set<(scope: string) => void>();
  #flushing: Promise<void> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #attempt = 0;

  constructor(api: ApiClient, store?: KeyValueStore) {
    this.#api = api;
    this.#store = store;
    this.items = readQueue(store);
  }

  /** Follows the browser's online/offline events; returns the function that stops. */
  start(win: Window): () => void {
    this.online = win.navigator.onLine;
    const up = (): void => {
      this.online = true;
      void this.flush();
    };
    const down = (): void => {
      this.online = false;
    };
    win.addEventListener('online', up);
    win.addEventListener('offline', down);
    if (this.items.length > 0) void this.flush();
    return () => {
      win.removeEventListener('online', up);
      win.removeEventListener('offline', down);
      clearTimeout(this.#timer);
    };
  }

  /** Calls fn with the scope of every queued action the server accepts. */
  onApplied(fn: (scope: string) => void): () => void {
    this.#applied.add(fn);
    return () => this.#applied.delete(fn);
  }

  /**
   * Sends a mutation. With queue true, an unanswered request (and any request
   * made while older ones still wait, to keep their order) is queued and run
   * answers { queued: true }; otherwise the NetworkError is thrown. An ApiError
   * (the server said no) is always thrown.
   */
  async run<T>(action: Omit<QueuedAction, 'key'>, queue: boolean): Promise<RunResult<T>> {
    const item: QueuedAction = { ...action, key: newIdempotencyKey() };
    if (queue && this.items.length > 0) {
      this.#enqueue(item);
      void this.flush();
      return { queued: true };
    }
    try {
      return { queued: false, value: await this.#send<T>(item) };
    } catch (err) {
      if (queue && err instanceof NetworkError) {
        this.#enqueue(item);
        this.#schedule();
        return { queued: true };
      }
      throw err;
    }
  }

  /** Sends the queued actions in order, stopping at the first that gets no answer. */
  flush(): Promise<void> {
    this.#flushing ??= this.#drain().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  /** Forgets the refusals shown to staff. */
  dismissRejected(): void {
    this.rejected = [];
  }

  async #drain(): Promise<void> {
    clearTimeout(this.#timer);
    while (this.items.length > 0) {
      const item = this.items[0]!;
      try {
        await this.#send(item);
      } catch (err) {
        if (err instanceof NetworkError) {
          this.#schedule();
          return;
        }
        const message = err instanceof ApiError ? err.message : String(err);
        this.rejected = [...this.rejected, { label: item.label, message }];
      }
      this.#attempt = 0;
      this.items = this.items.filter((i) => i.key !== item.key);
      this.#persist();
      for (const fn of this.#applied) fn(item.scope);
    }
  }

  #send<T>(item: QueuedAction): Promise<T> {
    return this.#api.request<T>(item.method, item.path, { body: item.body, idempotencyKey: item.key });
  }

  #enqueue(item: QueuedAction): void {
    this.items = [...this.items, item];
    this.#persist();
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    const delay = retryMs[Math.min(this.#attempt, retryMs.length - 1)]!;
    this.#attempt++;
    this.#timer = setTimeout(() => void this.flush(), delay);
  }

  #persist(): void {
    try {
      this.#store?.setItem(storageKey, JSON.stringify(this.items));
    } catch {
      // Storage full or disabled: the queue still lives for this page.
    }
  }
}

function readQueue(store: KeyValueStore | undefined): QueuedAction[] {
  try {
    const raw = store?.getItem(storageKey);
    if (!raw) return [];
    const v = JSON.parse(raw) as unknown;
    if (!Array.isArray(v)) return [];
    return v.filter(
      (i): i is QueuedAction =>
        typeof i === 'object' && i !== null && typeof i.key === 'string' && typeof i.path === 'string',
    );
  } catch {
    return [];
  }
}

const [getOutbox, setOutbox] = createContext<Outbox>();

/** Returns the Outbox provided by the staff app. */
export const useOutbox = getOutbox;

/** Makes outbox available to every component below the caller. */
export const provideOutbox = setOutbox;
