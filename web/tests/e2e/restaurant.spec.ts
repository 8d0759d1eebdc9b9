// The restaurant workflow on one terminal: the owner signs in with email and
// password, registers the browser as the café's terminal and signs out; the
// cashier signs in with the PIN pad, opens a table on the floor plan, orders
// (with options), sends to the kitchen, takes cash with change (declining to
// open a shift when asked before the cash goes in: the payment goes on),
// closes the order, and the table is free again.
import { expect, test } from '@playwright/test';
import { cafe, demo, screens, vnd, vndName } from './demo';

test('floor plan to closed order, paid in cash', async ({ page }) => {
  const d = demo();
  const shop = cafe();
  const cashier = shop.staff.find((s) => s.role === 'cashier')!;

  await page.goto('/pos');
  await expect(page.getByRole('heading', { name: 'Đăng nhập' })).toBeVisible();
  await screens(page, 'login');
  await page.getByLabel('Email').fill(d.email);
  await page.getByLabel('Mật khẩu').fill(d.password);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();

  // Two shops: the picker, then the café's floor.
  await expect(page.getByRole('heading', { name: 'Chọn cửa hàng' })).toBeVisible();
  await page.getByRole('button', { name: new RegExp(shop.name) }).click();
  await expect(page.getByRole('heading', { name: 'Sơ đồ bàn' })).toBeVisible();

  // Register this browser as a terminal, then sign out: the PIN pad appears.
  await page.getByRole('link', { name: 'Máy bán hàng' }).click();
  await page.getByRole('button', { name: /Đăng ký cho/ }).click();
  await expect(page.getByText(/Đã đăng ký; \d+ nhân viên có mã PIN/)).toBeVisible();
  await page.getByRole('button', { name: 'Đăng xuất' }).click();
  await expect(page.getByText('Chọn tên của bạn')).toBeVisible();
  await page.getByRole('button', { name: new RegExp(cashier.name) }).click();
  for (const digit of cashier.pin) await page.getByRole('button', { name: digit, exact: true }).click();
  await page.getByRole('button', { name: 'Xác nhận mã PIN' }).click();

  await expect(page.getByRole('heading', { name: 'Sơ đồ bàn' })).toBeVisible();
  await expect(page.getByText(cashier.name)).toBeVisible();
  const table = page.locator('[data-place="T1"]');
  await expect(table).toHaveAttribute('data-status', 'free');
  await screens(page, 'floor');

  // Open T1 and order: an iced milk coffee with less sugar ×2, and a bánh mì.
  await table.click();
  await expect(page.getByTestId('order-panel')).toBeVisible();
  await page.locator('[data-product="Cà phê sữa đá"]').click();
  const dialog = page.getByRole('dialog', { name: 'Cà phê sữa đá' });
  await dialog.getByRole('button', { name: 'Ít đường' }).click();
  await dialog.getByRole('button', { name: 'Thêm một', exact: true }).click();
  await dialog.getByRole('button', { name: /Thêm · 58\.000/ }).click();
  await page.locator('[data-product="Bánh mì thịt"]').click();
  const panel = page.getByTestId('order-panel');
  await expect(panel.locator('[data-line="Cà phê sữa đá"]')).toContainText('Ít đường');
  await expect(panel.locator('[data-line="Bánh mì thịt"]')).toBeVisible();
  await expect(page.getByTestId('order-total')).toHaveText(vnd(83000));
  await screens(page, 'order');

  await panel.getByRole('button', { name: 'Gửi bếp (2)' }).click();
  await expect(panel.locator('[data-line="Bánh mì thịt"]')).toContainText('Đã gửi bếp');

  // Cash: the customer hands over 100.000 ₫ and gets 17.000 ₫ back.
  // No shift is open: taking the cash offers to open one first; skipping it still takes the cash.
  await panel.getByRole('button', { name: 'Thanh toán' }).click();
  const pay = page.getByRole('dialog', { name: 'Thanh toán · T1' });
  await expect(pay.getByTestId('amount-due')).toHaveText(vnd(83000));
  await expect(pay.getByRole('tab', { name: 'Tiền mặt' })).toHaveAttribute('aria-selected', 'true');
  await screens(page, 'payment');
  await pay.getByRole('button', { name: `Khách đưa ${vndName(100000)} Thối ${vndName(17000)}` }).click();
  const prompt = page.getByRole('dialog', { name: 'Chưa mở ca' });
  await expect(prompt).toContainText('Bạn chưa mở ca thu ngân');
  await prompt.getByRole('button', { name: 'Bỏ qua, thu tiền luôn' }).click();
  const paid = page.getByRole('dialog', { name: 'Đã thanh toán' });
  await expect(paid.getByTestId('change')).toContainText(vnd(17000));
  await paid.getByRole('button', { name: 'Đóng đơn' }).click();

  // Back on the floor plan with T1 free again.
  await expect(page.getByRole('heading', { name: 'Sơ đồ bàn' })).toBeVisible();
  await expect(page.locator('[data-place="T1"]')).toHaveAttribute('data-status', 'free');
});
