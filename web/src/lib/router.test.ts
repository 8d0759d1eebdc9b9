import { describe, expect, it } from 'vitest';
import { kdsStation, matchRoute, posView, routeTitle, type Route } from './router';

describe('matchRoute', () => {
  const cases: { path: string; want: Route }[] = [
    { path: '/', want: { name: 'home' } },
    { path: '/pos', want: { name: 'pos', rest: '/' } },
    { path: '/pos/', want: { name: 'pos', rest: '/' } },
    { path: '/pos/orders/42', want: { name: 'pos', rest: '/orders/42' } },
    { path: '/kds', want: { name: 'kds', rest: '/' } },
    { path: '/kds/bar', want: { name: 'kds', rest: '/bar' } },
    { path: '/admin/shops', want: { name: 'admin', rest: '/shops' } },
    { path: '/reports', want: { name: 'reports', rest: '/' } },
    { path: '/menu/0190a1b2-c3d4', want: { name: 'menu', shopId: '0190a1b2-c3d4' } },
    { path: '/menu/0190a1b2/cart', want: { name: 'menu', shopId: '0190a1b2' } },
    { path: '/menu/c%C3%A0%20ph%C3%AA', want: { name: 'menu', shopId: 'cà phê' } },
    { path: '/t/tok_123', want: { name: 'table', qrToken: 'tok_123' } },
    { path: '/menu', want: { name: 'not_found', path: '/menu' } },
    { path: '/menu/', want: { name: 'not_found', path: '/menu/' } },
    { path: '/t/', want: { name: 'not_found', path: '/t/' } },
    { path: '/menu/%E0%A4%A', want: { name: 'not_found', path: '/menu/%E0%A4%A' } },
    { path: '/posx', want: { name: 'not_found', path: '/posx' } },
    { path: '/docs', want: { name: 'not_found', path: '/docs' } },
    { path: '/health/ready', want: { name: 'not_found', path: '/health/ready' } },
  ];
  for (const c of cases) {
    it(c.path, () => {
      expect(matchRoute(c.path)).toEqual(c.want);
    });
  }
});

describe('routeTitle', () => {
  const cases: { path: string; want: string }[] = [
    { path: '/', want: 'section.home.title' },
    { path: '/pos/x', want: 'section.pos.title' },
    { path: '/reports', want: 'section.reports.title' },
    { path: '/menu/s', want: 'section.menu.title' },
    { path: '/t/q', want: 'section.table.title' },
    { path: '/nope', want: 'not_found.title' },
  ];
  for (const c of cases) {
    it(c.path, () => {
      expect(routeTitle(matchRoute(c.path))).toBe(c.want);
    });
  }
});

describe('posView', () => {
  it.each([
    ['/', { name: 'floor' }],
    ['/orders/abc', { name: 'order', orderId: 'abc' }],
    ['/karaoke', { name: 'karaoke' }],
    ['/terminal', { name: 'terminal' }],
    ['/reconcile', { name: 'reconcile' }],
    ['/orders', { name: 'unknown' }],
    ['/orders/a/b', { name: 'unknown' }],
    ['/orders/%E0%A4%A', { name: 'unknown' }],
  ])('reads %s', (rest, want) => {
    expect(posView(rest)).toEqual(want);
  });
});

describe('kdsStation', () => {
  it('reads the station and nothing else', () => {
    expect(kdsStation('/')).toBeUndefined();
    expect(kdsStation('/bar')).toBe('bar');
    expect(kdsStation('/bar/x')).toBeUndefined();
  });
});
