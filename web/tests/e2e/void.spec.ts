// Voids above the shop's approval threshold: the owner sets a threshold, a
// cashier on the terminal voids a line already sent to the kitchen, the POS
// asks for a manager, the manager taps their name and types their PIN, and the
// line shows voided.
import { expect, test } from '@playwright/test';
import { api, cafe, ownerToken, pinSignIn, registerTerminal } from './demo';

test('a void above the threshold needs a manager PIN', async ({ page, context, request }) => {
  const shop = cafe();
  const cashier = shop.staff.find((s) => s.role === 'cashier')!;
  const token = await ownerToken(request);
  // The demo has no manager: add one with a PIN (before the terminal reads its roster).
  const manager = shop.staff.find((s) => s.role === 'manager') ?? { name: 'Đỗ Quản Lý', pin: '1357' };
  if (!shop.staff.some((s) => s.role === 'manager')) {
    await api(request, token, 'POST', `/api/v1/shops/${shop.id}/staff`, { full_name: manager.name, role: 'manager', pin: manager.pin });
  }
  await api(request, token, 'PATCH', `/api/v1/shops/${shop.id}`, { void_approval_threshold: 10000 });
  let orderId = '';
  try {
    await registerTerminal(context, request, shop);
    await page.goto('/pos');
    await pinSignIn(page, cashier);

    await page.locator('[data-place="T3"]').click();
    const panel = page.getByTestId('order-panel');
    await page.locator('[data-product="Bánh mì thịt"]').click();
    await panel.getByRole('button', { name: 'Gửi bếp (1)' }).click();
    const line = panel.locator('[data-line="Bánh mì thịt"]');
    await expect(line).toContainText('Đã gửi bếp');
    orderId = page.url().split('/').at(-1)!;

    // 25.000 ₫ is over the 10.000 ₫ threshold: the cashier's own void is refused and a manager is asked for.
    await line.getByRole('button', { name: 'Huỷ món Bánh mì thịt' }).click();
    const dialog = page.getByRole('dialog', { name: 'Huỷ món Bánh mì thịt' });
    await dialog.getByRole('button', { name: 'Nhập nhầm món' }).click();
    await dialog.getByRole('button', { name: 'Xác nhận' }).click();
    await expect(dialog.getByRole('heading', { name: 'Cần quản lý duyệt' })).toBeVisible();
    await expect(line).toContainText('Đã gửi bếp');
    await dialog.getByRole('button', { name: manager.name }).click();
    const pad = dialog.getByRole('group', { name: 'Mã PIN của quản lý' });
    await expect(pad).toBeVisible();
    for (const digit of manager.pin) await pad.getByRole('button', { name: digit, exact: true }).click();
    await pad.getByRole('button', { name: 'Xác nhận mã PIN' }).click();

    await expect(dialog).toBeHidden();
    await expect(line).toContainText('Đã huỷ');
  } finally {
    await api(request, token, 'PATCH', `/api/v1/shops/${shop.id}`, { void_approval_threshold: 0 });
    if (orderId) await api(request, token, 'POST', `/api/v1/orders/${orderId}/cancel`, { reason: 'e2e clean-up' });
  }
});
