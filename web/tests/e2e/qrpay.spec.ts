// A customer pays from the table's QR page on a phone. A guest at a table of
// their own (S5, added for the test and removed after) orders, taps "Chuyển
// khoản VietQR", sees the shop's code with the amount and the transfer note,
// sends the transfer from the bank simulator, and the phone flips to paid on
// its own; another guest pays by VNPay on the simulator's page and comes back
// to the table's link paid.
import { expect, test, devices, type APIRequestContext, type Page } from '@playwright/test';
import { api, bankTransfer, cafe, ownerToken, screens, vnd, vndName } from './demo';

const phone = { ...devices['Pixel 7'], viewport: { width: 390, height: 844 } };
delete (phone as { defaultBrowserType?: string }).defaultBrowserType;

test('a customer pays the table’s order by VietQR and the phone flips to paid', async ({ browser, request }) => {
  const shop = cafe();
  const token = await ownerToken(request);
  const table = await addTable(request, token, shop.id, 'S5');
  const guest = await browser.newContext(phone);
  try {
    const menu = await guest.newPage();
    await menu.goto(`/t/${table.qr_token}`);
    await order(menu, 'Bánh croissant');
    const card = menu.getByTestId('table-order');
    // The demo café holds QR orders for the staff: paying does not wait for that.
    await expect(card).toHaveAttribute('data-stage', 'waiting');
    const due = await owed(request, table.qr_token);
    expect(due.amount_due).toBeGreaterThan(0);

    const pay = card.getByTestId('table-pay');
    await expect(pay.getByRole('heading', { name: 'Thanh toán' })).toBeVisible();
    for (const name of ['Chuyển khoản VietQR', 'Thanh toán VNPay']) {
      const box = await pay.getByRole('button', { name }).boundingBox();
      expect(box?.height, name).toBeGreaterThanOrEqual(44);
    }
    await pay.getByRole('button', { name: 'Chuyển khoản VietQR' }).click();
    const qr = pay.getByTestId('table-vietqr');
    const image = qr.getByRole('img', { name: `Mã VietQR chuyển khoản ${vndName(due.amount_due)}` });
    await expect(image).toBeVisible();
    // Loaded from this origin (the page's CSP allows nothing else), and really drawn.
    expect(await image.getAttribute('src')).toMatch(/^\/api\/v1\/public\/payments\/[^/]+\/qr\.svg$/);
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    await expect(qr.getByTestId('table-pay-amount')).toHaveText(vnd(due.amount_due));
    await expect(qr).toContainText('Mở ứng dụng ngân hàng và quét mã');
    const reference = (await qr.getByTestId('table-pay-reference').textContent())!.trim();
    expect(reference).toMatch(/^[A-Z0-9]{8,}$/);
    await screens(menu, 'qr-pay-vietqr');

    // Asking again shows the same waiting code, not a second one.
    await pay.getByRole('button', { name: 'Chuyển khoản VietQR' }).click();
    await expect(qr.getByTestId('table-pay-reference')).toHaveText(reference);

    // The customer's bank sends the transfer with the code as its note; the phone, left alone, flips.
    await bankTransfer(guest, due.amount_due, reference);
    await expect(card).toHaveAttribute('data-stage', 'paid', { timeout: 20_000 });
    await expect(card.getByRole('status').first()).toHaveText('Đã thanh toán — cảm ơn quý khách!');
    await expect(card.getByTestId('table-pay')).toHaveCount(0);
    await screens(menu, 'qr-pay-paid');

    // The staff close the paid order: nothing is left to take.
    await api(request, token, 'POST', `/api/v1/orders/${due.order_id}/close`, {});
  } finally {
    await guest.close();
    await removeTable(request, token, shop.id, table.id);
  }
});

test('a customer pays by VNPay and comes back to the table’s page paid', async ({ browser, request }) => {
  const shop = cafe();
  const token = await ownerToken(request);
  const table = await addTable(request, token, shop.id, 'S6');
  const guest = await browser.newContext(phone);
  try {
    const menu = await guest.newPage();
    await menu.goto(`/t/${table.qr_token}`);
    await order(menu, 'Nước suối');
    const due = await owed(request, table.qr_token);
    await menu.getByTestId('table-pay').getByRole('button', { name: 'Thanh toán VNPay' }).click();
    await menu.waitForURL(/\/sim\/vnpay\/paymentv2\/vpcpay\.html\?/);
    await expect(menu.locator('dd').filter({ hasText: vnd(due.amount_due) })).toBeVisible();
    await menu.getByRole('button', { name: 'Thanh toán' }).click();
    // The return page sends the browser back to the table's link (with the payment's id and status as it stood).
    await menu.waitForURL((url) => url.pathname === `/t/${table.qr_token}`);
    await expect(menu.getByTestId('table-order')).toHaveAttribute('data-stage', 'paid');
    await expect(menu.getByTestId('table-pay')).toHaveCount(0);
    await api(request, token, 'POST', `/api/v1/orders/${due.order_id}/close`, {});
  } finally {
    await guest.close();
    await removeTable(request, token, shop.id, table.id);
  }
});

/** Adds a table named name to the café's garden area, for one test. */
async function addTable(request: APIRequestContext, token: string, shopId: string, name: string): Promise<{ id: string; qr_token: string }> {
  const floor = await api<{ areas: { id: string; name: string }[] }>(request, token, 'GET', `/api/v1/shops/${shopId}/floor`);
  const area = floor.areas.find((a) => a.name === 'Sân vườn')!;
  return api(request, token, 'POST', `/api/v1/shops/${shopId}/tables`, { area_id: area.id, name, seats: 2 });
}

/** Removes the test's table (its QR code stops working). */
async function removeTable(request: APIRequestContext, token: string, shopId: string, id: string): Promise<void> {
  const res = await request.delete(`/api/v1/shops/${shopId}/tables/${id}`, {
    headers: { Authorization: `Bearer ${token}`, 'Idempotency-Key': crypto.randomUUID() },
  });
  expect(res.status()).toBe(204);
}

/** What the table's order owes, as the server says it. */
async function owed(request: APIRequestContext, qrToken: string): Promise<{ order_id: string; amount_due: number }> {
  const res = await request.get(`/api/v1/public/tables/${qrToken}/order`);
  expect(res.ok()).toBeTruthy();
  return (await res.json()) as { order_id: string; amount_due: number };
}

/** Puts one product in the cart and places the order from the phone. */
async function order(page: Page, product: string): Promise<void> {
  await page.getByRole('button', { name: `Thêm ${product}` }).click();
  await page.getByTestId('cart-bar').click();
  await page.getByRole('button', { name: 'Xem lại & đặt món' }).click();
  const confirm = page.getByRole('dialog', { name: 'Xác nhận đặt món' });
  await confirm.getByRole('button', { name: 'Đặt món' }).click();
  await expect(confirm).toBeHidden();
}
