// The app's routes: which screen a URL path shows. Kept pure (no DOM) so the
// matching is unit-tested; Navigator (navigation.svelte.ts) applies it to the
// browser's history. The Go handler serves index.html for exactly these paths.
import type { MessageKey } from './i18n';

/** A staff section of the app, shown inside the sidebar shell. */
export type SectionName = 'pos' | 'kds' | 'admin' | 'reports';

/** What a URL shows. `rest` is the section's sub-path, for the screens to come. */
export type Route =
  | { readonly name: 'home' }
  | { readonly name: SectionName; readonly rest: string }
  | { readonly name: 'menu'; readonly shopId: string }
  | { readonly name: 'table'; readonly qrToken: string }
  | { readonly name: 'not_found'; readonly path: string };

/** The staff sections in sidebar order, with their path and text keys. */
export const sections: readonly {
  readonly name: SectionName;
  readonly path: string;
  readonly title: MessageKey;
  readonly summary: MessageKey;
}[] = [
  { name: 'pos', path: '/pos', title: 'section.pos.title', summary: 'section.pos.summary' },
  { name: 'kds', path: '/kds', title: 'section.kds.title', summary: 'section.kds.summary' },
  { name: 'admin', path: '/admin', title: 'section.admin.title', summary: 'section.admin.summary' },
  { name: 'reports', path: '/reports', title: 'section.reports.title', summary: 'section.reports.summary' },
];

/**
 * Returns the route for a URL path (without query or hash). Path parameters are
 * percent-decoded; a malformed encoding or an empty parameter is not found.
 */
export function matchRoute(pathname: string): Route {
  if (pathname === '/') return { name: 'home' };
  const segments = pathname.split('/').slice(1);
  const [head, param] = segments;

  const section = sections.find((s) => s.name === head);
  if (section) return { name: section.name, rest: '/' + segments.slice(1).join('/') };

  if ((head === 'menu' || head === 't') && param) {
    const value = decodeSegment(param);
    if (value === undefined || value === '') return { name: 'not_found', path: pathname };
    return head === 'menu' ? { name: 'menu', shopId: value } : { name: 'table', qrToken: value };
  }
  return { name: 'not_found', path: pathname };
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** Returns the text key of the screen title for route. */
export function routeTitle(route: Route): MessageKey {
  switch (route.name) {
    case 'home':
      return 'section.home.title';
    case 'menu':
      return 'section.menu.title';
    case 'table':
      return 'section.table.title';
    case 'not_found':
      return 'not_found.title';
    default: {
      const name = route.name;
      const section = sections.find((s) => s.name === name);
      if (!section) throw new Error(`router: no section named ${name}`);
      return section.title;
    }
  }
}

/** A screen of the POS section, from the path after /pos. */
export type PosView =
  | { readonly name: 'floor' }
  | { readonly name: 'order'; readonly orderId: string }
  | { readonly name: 'karaoke' }
  | { readonly name: 'terminal' }
  | { readonly name: 'reconcile' }
  | { readonly name: 'unknown' };

/** Returns the POS screen for the section's sub-path (e.g. "/orders/{id}"). */
export function posView(rest: string): PosView {
  const parts = rest.split('/').filter((p) => p !== '');
  if (parts.length === 0) return { name: 'floor' };
  const [head, id] = parts;
  if (head === 'orders' && id && parts.length === 2) {
    const orderId = decodeSegment(id);
    return orderId ? { name: 'order', orderId } : { name: 'unknown' };
  }
  if (parts.length === 1 && (head === 'karaoke' || head === 'terminal' || head === 'reconcile')) return { name: head };
  return { name: 'unknown' };
}

/** Returns the kitchen station of a /kds sub-path ("/bar" → "bar"), undefined for the station picker. */
export function kdsStation(rest: string): string | undefined {
  const parts = rest.split('/').filter((p) => p !== '');
  return parts.length === 1 ? decodeSegment(parts[0]!) : undefined;
}
