// The kitchen display: a ticket sent from the POS appears on its station's
// board by itself (live stream), is bumped to preparing and to ready, can be
// recalled, and leaves the board once served.
import { expect, test } from '@playwright/test';
import { api, cafe, ownerToken, screens, signInOwner } from './demo';

test('a ticket appears on the KDS and is bumped', async ({ page, context, request }) => {
  const shop = cafe();
  await signInOwner(context, request, shop.id);
  await page.goto('/kds');
  await page.getByRole('link', { name: 'Khu kitchen' }).click();
  await expect(page.getByRole('heading', { name: 'Khu kitchen' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Mới' })).toBeVisible();

  // A waiter's order for table S3 goes to the kitchen.
  const token = await ownerToken(request);
  const floor = await api<{ areas: { tables: { id: string; name: string }[] }[] }>(request, token, 'GET', `/api/v1/shops/${shop.id}/floor`);
  const s3 = floor.areas.flatMap((a) => a.tables).find((t) => t.name === 'S3')!;
  const order = await api<{ id: string }>(request, token, 'POST', `/api/v1/shops/${shop.id}/orders`, { type: 'dine_in', table_id: s3.id });
  const menu = await api<{ categories: { products: { id: string; name: string }[] }[] }>(request, token, 'GET', `/api/v1/shops/${shop.id}/menu`);
  const fries = menu.categories.flatMap((c) => c.products).find((p) => p.name === 'Khoai tây chiên')!;
  await api(request, token, 'POST', `/api/v1/orders/${order.id}/lines`, { product_id: fries.id, quantity: 2, note: 'giòn' });
  await api(request, token, 'POST', `/api/v1/orders/${order.id}/submit`, {});

  const ticket = page.locator('[data-ticket="S3"]');
  await expect(ticket).toBeVisible();
  await expect(ticket).toHaveAttribute('data-status', 'new');
  await expect(ticket).toContainText('Khoai tây chiên');
  await expect(ticket).toContainText('giòn');
  await screens(page, 'kds');

  await ticket.getByRole('button', { name: 'Bắt đầu làm' }).click();
  await expect(page.getByRole('region', { name: 'Đang làm' }).locator('[data-ticket="S3"]')).toBeVisible();
  await ticket.getByRole('button', { name: 'Xong', exact: true }).click();
  await expect(page.getByRole('region', { name: 'Xong — chờ ra món' }).locator('[data-ticket="S3"]')).toBeVisible();
  await ticket.getByRole('button', { name: 'Gọi lại' }).click();
  await expect(page.getByRole('region', { name: 'Đang làm' }).locator('[data-ticket="S3"]')).toBeVisible();
  await ticket.getByRole('button', { name: 'Xong', exact: true }).click();
  await ticket.getByRole('button', { name: 'Đã ra món' }).click();
  await expect(page.locator('[data-ticket="S3"]')).toHaveCount(0);
});
