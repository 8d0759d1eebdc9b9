// The language the user chose, shared with every component through context.
import { createContext } from 'svelte';
import {
  defaultLocale,
  isLocale,
  translate,
  type Locale,
  type MessageKey,
  type MessageValues,
} from './i18n';

const storageKey = 'goodgo.locale';

/** The small part of Storage the locale needs (localStorage in the browser). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/**
 * The current language, remembered across visits. Reading `t` inside a
 * component makes that text follow language switches.
 */
export class LocaleState {
  current: Locale = $state(defaultLocale);
  readonly #store: KeyValueStore | undefined;

  constructor(store?: KeyValueStore) {
    this.#store = store;
    const saved = readSaved(store);
    if (saved) this.current = saved;
  }

  /** Returns the text for key in the current language. */
  t = (key: MessageKey, values?: MessageValues): string => translate(this.current, key, values);

  /** Switches the language and remembers the choice. */
  set(locale: Locale): void {
    this.current = locale;
    try {
      this.#store?.setItem(storageKey, locale);
    } catch {
      // Storage may be full or disabled (private mode); the switch still applies to this visit.
    }
  }
}

function readSaved(store: KeyValueStore | undefined): Locale | undefined {
  try {
    const saved = store?.getItem(storageKey);
    return isLocale(saved) ? saved : undefined;
  } catch {
    return undefined;
  }
}

const [getLocale, setLocale] = createContext<LocaleState>();

/** Returns the LocaleState provided by the app root. */
export const useLocale = getLocale;

/** Makes locale available to every component below the caller. */
export const provideLocale = setLocale;
