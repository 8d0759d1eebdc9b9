// A cashier's shift on a shop terminal: the first cash payment without a shift
// offers to open one (with the float), the cash goes in at once, cash goes
// in and out of the drawer from the top bar, and closing with the cash counted
// shows the expected cash and the variance (short here, in red).
import { expect, test } from '@playwright/test';
import { cafe, pinSignIn, registerTerminal, screens, vnd, vndName } from './demo';

test('shift opened at the first cash payment, cash in and out, closed with a variance', async ({ page, context, request }) => {
  const shop = cafe();
  const cashier = shop.staff.find((s) => s.role === 'cashier')!;
  await registerTerminal(context, request, shop);
  await page.goto('/pos');
  await pinSignIn(page, cashier);
  await expect(page.getByRole('heading', { name: 'Sơ đồ bàn' })).toBeVisible();
  const shiftButton = page.getByTestId('shift-button');
  await expect(shiftButton).toHaveText(/Mở ca/);

  // An order at T2, sent to the kitchen: 25.000 ₫.
  await page.locator('[data-place="T2"]').click();
  const panel = page.getByTestId('order-panel');
  await page.locator('[data-product="Bánh mì thịt"]').click();
  await panel.getByRole('button', { name: 'Gửi bếp (1)' }).click();
  await expect(panel.locator('[data-line="Bánh mì thịt"]')).toContainText('Đã gửi bếp');

  // Paying in cash without a shift: open one with a 500.000 ₫ float, and the cash goes straight in.
  await panel.getByRole('button', { name: 'Thanh toán' }).click();
  const pay = page.getByRole('dialog', { name: 'Thanh toán · T2' });
  await expect(pay.getByTestId('amount-due')).toHaveText(vnd(25000));
  await pay.getByRole('button', { name: `Đủ tiền ${vndName(25000)}` }).click();
  const prompt = page.getByRole('dialog', { name: 'Chưa mở ca' });
  await prompt.getByRole('button', { name: vndName(500000), exact: true }).click();
  await screens(page, 'shift-prompt');
  await prompt.getByRole('button', { name: `Mở ca với ${vndName(500000)}` }).click();
  await expect(shiftButton).toHaveText(/Ca từ \d\d:\d\d/);
  await page.getByRole('dialog', { name: 'Đã thanh toán' }).getByRole('button', { name: 'Đóng đơn' }).click();
  await expect(page.locator('[data-place="T2"]')).toHaveAttribute('data-status', 'free');

  // The drawer from the top bar: the float and the sale, then 200.000 ₫ in and 50.000 ₫ out.
  await shiftButton.click();
  const dialog = page.getByRole('dialog', { name: 'Ca làm việc' });
  const summary = dialog.getByTestId('shift-summary');
  const row = (name: string) => summary.locator(`[data-row="${name}"] dd`);
  await expect(row('opening')).toHaveText(vnd(500000));
  await expect(summary.locator('[data-row="sales"] dt')).toHaveText('Thu tiền mặt (1 lần)');
  await expect(row('sales')).toHaveText(vnd(25000));

  await dialog.getByRole('button', { name: 'Nộp tiền vào két' }).click();
  await dialog.getByLabel('Số tiền (đồng)').fill('200.000');
  await dialog.getByRole('button', { name: 'Đổi tiền lẻ' }).click();
  await dialog.getByRole('button', { name: 'Ghi nhận' }).click();
  await expect(row('in')).toHaveText(vnd(200000));

  await dialog.getByRole('button', { name: 'Rút tiền khỏi két' }).click();
  await dialog.getByLabel('Số tiền (đồng)').fill('50000');
  await dialog.getByLabel('Lý do').fill('Mua đá');
  await dialog.getByRole('button', { name: 'Ghi nhận' }).click();
  await expect(row('out')).toHaveText(`−${vnd(50000)}`);
  await expect(dialog.locator('[data-kind="cash_out"]')).toContainText('Rút ra · Mua đá');
  await expect(dialog.locator('[data-kind="sale"]')).toContainText(vnd(25000));
  await screens(page, 'shift-open');

  // Closing: 665.000 ₫ counted where 500.000 + 25.000 + 200.000 − 50.000 = 675.000 ₫ should be.
  await dialog.getByRole('button', { name: 'Kết ca' }).click();
  await dialog.getByLabel('Tiền mặt đếm được trong két (đồng)').fill('665000');
  await dialog.getByRole('button', { name: 'Kết ca' }).click();
  const closed = page.getByRole('dialog', { name: 'Đã kết ca' });
  const result = closed.getByTestId('shift-result');
  await expect(result).toHaveAttribute('data-variance', 'short');
  await expect(closed.getByTestId('expected-cash')).toHaveText(vnd(675000));
  await expect(closed.getByTestId('counted-cash')).toHaveText(vnd(665000));
  await expect(closed.getByTestId('variance')).toHaveText(vnd(-10000));
  await expect(result).toContainText(`Thiếu ${vnd(10000)}`);
  await expect(closed.getByTestId('variance')).toHaveCSS('color', 'rgb(200, 30, 30)');
  await screens(page, 'shift-closed');
  await closed.getByRole('button', { name: 'Đóng' }).click();
  await expect(shiftButton).toHaveText(/Mở ca/);
});
