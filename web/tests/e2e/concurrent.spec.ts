// Two terminals on the same table at once: each adds its own line at the same
// moment, and each screen shows both lines (no lost or doubled line) through
// the shop's live stream, without a reload.
import { expect, test } from '@playwright/test';
import { cafe, signInOwner } from './demo';

test('two terminals editing one table see each other’s lines', async ({ browser, request }) => {
  const shop = cafe();
  const a = await browser.newContext();
  const b = await browser.newContext();
  await signInOwner(a, request, shop.id);
  await signInOwner(b, request, shop.id);
  const pageA = await a.newPage();
  const pageB = await b.newPage();

  await pageA.goto('/pos');
  await pageB.goto('/pos');
  await pageA.locator('[data-place="S2"]').click();
  await expect(pageA.getByTestId('order-panel')).toBeVisible();

  // B sees S2 taken live and opens the same order.
  const tileB = pageB.locator('[data-place="S2"]');
  await expect(tileB).toHaveAttribute('data-status', 'occupied');
  await tileB.click();
  await expect(pageB.getByTestId('order-panel')).toBeVisible();

  // Both add a different product at the same moment.
  await Promise.all([
    pageA.locator('[data-product="Bánh mì thịt"]').click(),
    pageB.locator('[data-product="Nước suối"]').click(),
  ]);

  for (const page of [pageA, pageB]) {
    const panel = page.getByTestId('order-panel');
    await expect(panel.locator('[data-line="Bánh mì thịt"]')).toHaveCount(1);
    await expect(panel.locator('[data-line="Nước suối"]')).toHaveCount(1);
  }

  // A quantity change on A shows on B.
  await pageA.getByRole('button', { name: 'Thêm một Nước suối' }).click();
  await expect(pageB.getByTestId('order-panel').locator('[data-line="Nước suối"] output')).toHaveText('2');

  await a.close();
  await b.close();
});
