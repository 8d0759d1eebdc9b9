// Test helpers: the demo logins the server wrote to its data directory, sign-in
// through the API for tests whose subject is not the sign-in screen, and
// screenshots at the three sizes the app is checked at.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type APIRequestContext, type BrowserContext, type Page } from '@playwright/test';

export interface DemoStaff {
  readonly role: string;
  readonly name: string;
  readonly id: string;
  readonly pin: string;
}
export interface DemoShop {
  readonly name: string;
  readonly id: string;
  readonly staff: DemoStaff[];
}
export interface Demo {
  readonly email: string;
  readonly password: string;
  readonly shops: DemoShop[];
}

/** Reads <data>/demo-logins.txt of the server under test. */
export function demo(): Demo {
  const text = readFileSync(join(process.env['GOODGO_E2E_DATA'] ?? '', 'demo-logins.txt'), 'utf8');
  const owner = /owner: (\S+) \/ (\S+)/.exec(text);
  if (!owner) throw new Error('demo-logins.txt has no owner line');
  const shops: DemoShop[] = [];
  for (const line of text.split('\n')) {
    const shop = /^\s+shop "(.+)": (\S+)$/.exec(line);
    if (shop) {
      shops.push({ name: shop[1]!, id: shop[2]!, staff: [] });
      continue;
    }
    const st = /^\s+(\w+)\s+(.+?)\s+staff_id (\S+)\s+PIN (\d+)$/.exec(line);
    if (st) shops.at(-1)?.staff.push({ role: st[1]!, name: st[2]!, id: st[3]!, pin: st[4]! });
  }
  return { email: owner[1]!, password: owner[2]!, shops };
}

/** The demo café (tables) and karaoke (rooms). */
export function cafe(): DemoShop {
  return demo().shops.find((s) => s.name.startsWith('Cà Phê'))!;
}
export function karaoke(): DemoShop {
  return demo().shops.find((s) => s.name.startsWith('Karaoke'))!;
}

/** An owner access token for setting up through the API. */
export async function ownerToken(request: APIRequestContext): Promise<string> {
  const d = demo();
  const res = await request.post('/api/v1/auth/login', { data: { email: d.email, password: d.password } });
  expect(res.ok()).toBeTruthy();
  return ((await res.json()) as { access_token: string }).access_token;
}

/**
 * Signs a browser context in as the demo owner working in shop, the way the
 * app keeps a session (localStorage), so a test can start on any screen.
 */
export async function signInOwner(context: BrowserContext, request: APIRequestContext, shopId: string): Promise<void> {
  const d = demo();
  const res = await request.post('/api/v1/auth/login', { data: { email: d.email, password: d.password } });
  expect(res.ok()).toBeTruthy();
  const t = (await res.json()) as { access_token: string; refresh_token: string; expires_in: number };
  const session = JSON.stringify({
    access_token: t.access_token,
    refresh_token: t.refresh_token,
    expires_at: Date.now() + t.expires_in * 1000,
    shop_id: shopId,
  });
  await context.addInitScript((s) => {
    if (!window.localStorage.getItem('goodgo.session')) window.localStorage.setItem('goodgo.session', s);
  }, session);
}

/** Calls the API as the owner. */
export async function api<T>(request: APIRequestContext, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await request.fetch(path, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Idempotency-Key': crypto.randomUUID() },
    ...(body === undefined ? {} : { data: body }),
  });
  if (!res.ok()) throw new Error(`${method} ${path}: ${res.status()} ${await res.text()}`);
  return (await res.json()) as T;
}

/** The QR token of a table of shop, by the table's name. */
export async function tableToken(request: APIRequestContext, shopId: string, name: string): Promise<string> {
  const token = await ownerToken(request);
  const floor = await api<{ areas: { tables: { name: string; qr_token: string }[] }[] }>(request, token, 'GET', `/api/v1/shops/${shopId}/floor`);
  return floor.areas.flatMap((a) => a.tables).find((t) => t.name === name)!.qr_token;
}

/**
 * Registers a browser context as a terminal of shop through the API (what the
 * terminal screen does, tested in restaurant.spec.ts): the device secret and
 * the roster of staff with a PIN go where the app keeps them, so the sign-in
 * screen shows the PIN pad.
 */
export async function registerTerminal(context: BrowserContext, request: APIRequestContext, shop: DemoShop): Promise<void> {
  const token = await ownerToken(request);
  const staff = await api<{ items: { id: string; full_name: string; role: string; has_pin: boolean }[] }>(
    request,
    token,
    'GET',
    `/api/v1/shops/${shop.id}/staff`,
  );
  const dev = await api<{ id: string; name: string; device_secret: string }>(request, token, 'POST', `/api/v1/shops/${shop.id}/devices`, {
    name: `e2e ${crypto.randomUUID().slice(0, 8)}`,
  });
  const terminal = JSON.stringify({
    shop_id: shop.id,
    shop_name: shop.name,
    device_id: dev.id,
    device_name: dev.name,
    device_secret: dev.device_secret,
    staff: staff.items.filter((s) => s.has_pin).map((s) => ({ id: s.id, full_name: s.full_name, role: s.role })),
  });
  await context.addInitScript((t) => {
    if (!window.localStorage.getItem('goodgo.terminal')) window.localStorage.setItem('goodgo.terminal', t);
  }, terminal);
}

/** Signs a staff member in on the terminal's PIN pad (the page shows the sign-in screen). */
export async function pinSignIn(page: Page, who: { name: string; pin: string }): Promise<void> {
  await expect(page.getByText('Chọn tên của bạn')).toBeVisible();
  await page.getByRole('button', { name: new RegExp(who.name) }).click();
  for (const digit of who.pin) await page.getByRole('button', { name: digit, exact: true }).click();
  await page.getByRole('button', { name: 'Xác nhận mã PIN' }).click();
}

/** The viewports every screen is checked at. */
export const viewports = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'tablet', width: 800, height: 1280 },
  { name: 'phone', width: 390, height: 844 },
] as const;

/** Saves screenshots of page at the three sizes under test-results/screens/. */
export async function screens(page: Page, name: string): Promise<void> {
  const original = page.viewportSize();
  for (const v of viewports) {
    await page.setViewportSize({ width: v.width, height: v.height });
    await page.screenshot({ path: `test-results/screens/${name}-${v.width}x${v.height}.png`, animations: 'disabled' });
  }
  if (original) await page.setViewportSize(original);
}

/** Text of an amount as the app prints it ("185.000 ₫"). */
export function vnd(amount: number): string {
  return `${String(amount).replace(/\B(?=(\d{3})+(?!\d))/g, '.')}\u00a0₫`;
}

/** An amount as it appears in accessible names (whitespace normalised): "185.000 ₫". */
export function vndName(amount: number): string {
  return vnd(amount).replace('\u00a0', ' ');
}

/**
 * Opens a takeaway order in shop through the API with the named products
 * (one of each) and sends it to the kitchen, ready to be paid; answers its id,
 * total and place name ("#<pickup number>"). Payment tests start from one so they need no table of their own.
 */
export async function readyOrder(
  request: APIRequestContext,
  shopId: string,
  products: string[],
): Promise<{ id: string; total: number; place: string }> {
  const token = await ownerToken(request);
  const menu = await api<{ categories: { products: { id: string; name: string }[] }[] }>(request, token, 'GET', `/api/v1/shops/${shopId}/menu`);
  const all = menu.categories.flatMap((c) => c.products);
  const order = await api<{ id: string }>(request, token, 'POST', `/api/v1/shops/${shopId}/orders`, { type: 'takeaway' });
  for (const name of products) {
    const p = all.find((x) => x.name === name);
    if (!p) throw new Error(`no product ${name} on the menu`);
    await api(request, token, 'POST', `/api/v1/orders/${order.id}/lines`, { product_id: p.id, quantity: 1 });
  }
  await api(request, token, 'POST', `/api/v1/orders/${order.id}/submit`, {});
  const o = await api<{ place_name: string; totals: { total: number } }>(request, token, 'GET', `/api/v1/orders/${order.id}`);
  return { id: order.id, total: o.totals.total, place: o.place_name };
}

/** Sends a transfer to the shop's account from the bank simulator's page (its webhook reaches the server). */
export async function bankTransfer(context: BrowserContext, amount: number, content: string): Promise<void> {
  const bank = await context.newPage();
  await bank.goto('/sim/bank/');
  await bank.getByLabel('Số tiền (đồng)').fill(String(amount));
  await bank.getByLabel('Nội dung chuyển khoản').fill(content);
  await bank.getByRole('button', { name: 'Chuyển' }).click();
  await expect(bank.getByRole('status')).toContainText('Đã gửi giao dịch');
  await bank.close();
}
