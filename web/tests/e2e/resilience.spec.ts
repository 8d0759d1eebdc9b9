// A dropped connection: the screen says so, actions taken meanwhile wait in
// the queue and go when the connection returns, and a request whose answer
// was lost is sent again with its Idempotency-Key and applied only once.
import { expect, test } from '@playwright/test';
import { cafe, signInOwner } from './demo';

test('offline actions queue, retry with their keys, and apply once', async ({ page, context, request }) => {
  await signInOwner(context, request, cafe().id);
  await page.goto('/pos');
  await page.locator('[data-place="T4"]').click();
  const panel = page.getByTestId('order-panel');
  await expect(panel).toBeVisible();

  // 1. The answer is lost: the server adds the line, the browser never hears back.
  let calls = 0;
  await page.route('**/api/v1/orders/*/lines', async (route) => {
    calls++;
    if (calls === 1) {
      await route.fetch();
      await route.abort('connectionreset');
      return;
    }
    await route.continue();
  });
  await page.locator('[data-product="Nước suối"]').click();
  await expect.poll(() => calls).toBe(2);
  await expect(page.getByTestId('connection-banner')).toBeHidden();
  await expect(panel.locator('[data-line="Nước suối"]')).toHaveCount(1);
  await expect(panel.locator('[data-line="Nước suối"] output')).toHaveText('1');
  await page.unroute('**/api/v1/orders/*/lines');

  // 2. Offline: a clear banner, the line waits as queued, and goes when back online.
  await context.setOffline(true);
  await page.locator('[data-product="Bánh croissant"]').click();
  const banner = page.getByTestId('connection-banner');
  await expect(banner).toContainText('Mất kết nối');
  await expect(banner).toContainText('1 thao tác đang chờ gửi');
  await expect(panel.locator('[data-line="1 × Bánh croissant"]')).toContainText('Đang chờ gửi');
  await context.setOffline(false);
  await expect(banner).toBeHidden({ timeout: 15_000 });
  await expect(panel.locator('[data-line="Bánh croissant"]')).toHaveCount(1);
  await expect(panel.locator('[data-line="1 × Bánh croissant"]')).toHaveCount(0);
});
