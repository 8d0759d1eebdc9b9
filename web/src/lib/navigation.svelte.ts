// Client-side navigation over the History API: a few lines instead of a router
// dependency. Links stay plain <a href> elements (they work without script, open
// in new tabs, and the Go handler serves index.html for every app path).
import { createContext } from 'svelte';
import { matchRoute, type Route } from './router';

/**
 * Tracks the current path and turns clicks on same-origin links to app routes
 * into history entries, so moving between screens does not reload the page.
 */
export class Navigator {
  path: string = $state('/');
  readonly route: Route = $derived(matchRoute(this.path));
  readonly #win: Window;

  constructor(win: Window) {
    this.#win = win;
    this.path = win.location.pathname;
  }

  /** Starts following back/forward and link clicks; returns the function that stops it. */
  start(): () => void {
    const onPopState = (): void => {
      this.path = this.#win.location.pathname;
    };
    const onClick = (event: MouseEvent): void => {
      const url = this.#appLinkTarget(event);
      if (!url) return;
      event.preventDefault();
      this.navigate(url.href);
    };
    this.#win.addEventListener('popstate', onPopState);
    this.#win.document.addEventListener('click', onClick);
    return () => {
      this.#win.removeEventListener('popstate', onPopState);
      this.#win.document.removeEventListener('click', onClick);
    };
  }

  /**
   * Shows href. App routes on this origin change screen in place; anything else
   * (the API docs, another site) is a normal page load.
   */
  navigate(href: string): void {
    const { location, history } = this.#win;
    const url = new URL(href, location.href);
    if (url.origin !== location.origin || matchRoute(url.pathname).name === 'not_found') {
      location.assign(url.href);
      return;
    }
    if (url.href !== location.href) history.pushState(null, '', url.href);
    this.path = url.pathname;
    this.#win.scrollTo(0, 0);
  }

  // Returns the URL of a clicked link that this navigator should handle, or
  // undefined to let the browser do its default (new tab, download, other site…).
  #appLinkTarget(event: MouseEvent): URL | undefined {
    if (event.defaultPrevented || event.button !== 0) return undefined;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return undefined;
    const target = event.target;
    if (!(target instanceof Element)) return undefined;
    const anchor = target.closest('a[href]');
    if (!(anchor instanceof HTMLAnchorElement)) return undefined;
    if ((anchor.target && anchor.target !== '_self') || anchor.hasAttribute('download')) return undefined;

    const url = new URL(anchor.href);
    const here = this.#win.location;
    if (url.origin !== here.origin) return undefined;
    // In-page anchors (the skip link) keep the browser's own scrolling and focus.
    if (url.hash && url.pathname === here.pathname && url.search === here.search) return undefined;
    if (matchRoute(url.pathname).name === 'not_found') return undefined;
    return url;
  }
}

const [getNavigator, setNavigator] = createContext<Navigator>();

/** Returns the Navigator provided by the app root. */
export const useNavigator = getNavigator;

/** Makes navigator available to every component below the caller. */
export const provideNavigator = setNavigator;
