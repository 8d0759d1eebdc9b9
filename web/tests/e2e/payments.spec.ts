// Payments on the POS against the server's simulators: a bill split between
// cash and a VietQR that the bank simulator pays (the POS flips to paid when
// the bank's webhook lands, with no reload), a VNPay payment clicked through on
// the simulator's page, a customer wallet opened, topped up and spent, a
// refund that reopens the balance, and a transfer that
// matched nothing applied to an order from the manager's reconciliation screen.
// Each test works on takeaway orders of its own (no table).
import { expect, test } from '@playwright/test';
import { api, bankTransfer, cafe, ownerToken, pinSignIn, readyOrder, registerTerminal, screens, signInOwner, vnd, vndName } from './demo';

test('split tender: cash, then a VietQR paid by bank transfer flips the POS live', async ({ page, context, request }) => {
  const shop = cafe();
  const cashier = shop.staff.find((s) => s.role === 'cashier')!;
  const order = await readyOrder(request, shop.id, ['Khô mực nướng']); // 120.000 ₫
  expect(order.total).toBe(120000);
  await registerTerminal(context, request, shop);
  await page.goto(`/pos/orders/${order.id}`);
  await pinSignIn(page, cashier);
  const panel = page.getByTestId('order-panel');
  await expect(panel).toBeVisible();
  await expect(page.getByTestId('shift-button')).toHaveText(/Mở ca/); // no shift open: cash will ask

  // 50.000 ₫ in cash first (the shift question comes only with cash).
  await panel.getByRole('button', { name: 'Thanh toán' }).click();
  const pay = page.getByRole('dialog', { name: /^Thanh toán · / });
  await expect(pay.getByTestId('amount-due')).toHaveText(vnd(120000));
  await pay.getByTestId('pay-amount').fill('50000');
  await pay.getByRole('button', { name: `Đủ tiền ${vndName(50000)}` }).click();
  await page.getByRole('dialog', { name: 'Chưa mở ca' }).getByRole('button', { name: 'Bỏ qua, thu tiền luôn' }).click();
  const paid = page.getByRole('dialog', { name: 'Đã thanh toán' });
  await expect(paid.getByTestId('still-due')).toHaveText(`Còn phải trả ${vnd(70000)}.`);
  await paid.getByRole('button', { name: 'Thu tiếp' }).click();

  // The rest by VietQR: the code holds 70.000 ₫, nothing is left to take meanwhile.
  await expect(pay.getByTestId('pay-paid')).toHaveText(vnd(50000));
  await expect(pay.getByTestId('amount-due')).toHaveText(vnd(70000));
  await pay.getByRole('tab', { name: 'VietQR' }).click();
  await pay.getByRole('button', { name: `Tạo mã VietQR ${vndName(70000)}` }).click();
  const intent = pay.getByTestId('intent');
  await expect(intent).toHaveAttribute('data-status', 'pending');
  await expect(intent.getByTestId('vietqr-image')).toBeVisible();
  await expect(intent.getByTestId('intent-amount')).toHaveText(vnd(70000));
  await expect(intent).toContainText('Vietcombank');
  await expect(pay.getByTestId('pay-held')).toHaveText(vnd(70000));
  await expect(pay.getByTestId('amount-due')).toHaveText(vnd(0));
  const reference = (await intent.getByTestId('intent-reference').textContent())!.trim();
  expect(reference).toMatch(/^[A-Z0-9]{8,}$/);
  await screens(page, 'payment-vietqr');

  // The customer's bank sends the transfer with the code in its note; the POS flips on its own.
  await bankTransfer(context, 70000, `Thanh toan ${reference}`);
  await expect(intent).toHaveAttribute('data-status', 'succeeded');
  await expect(intent).toContainText('Đã thanh toán');
  await expect(pay.getByTestId('pay-paid')).toHaveText(vnd(120000));
  await expect(pay.getByText('Đơn đã được thanh toán đủ.')).toBeVisible();
  await expect(pay.locator('li[data-payment="vietqr"]')).toHaveAttribute('data-status', 'succeeded');

  // A cashier sees the payments but may not refund them.
  await pay.getByRole('button', { name: 'Về đơn' }).click();
  await expect(panel.locator('li[data-payment="cash"]')).toContainText(vnd(50000));
  await expect(panel.locator('li[data-payment="vietqr"]')).toContainText(vnd(70000));
  await expect(panel.getByTestId('refund-hint')).toHaveText('Chỉ chủ quán hoặc quản lý mới được hoàn tiền.');
  await expect(panel.getByRole('button', { name: 'Hoàn tiền' })).toHaveCount(0);
  await panel.getByRole('button', { name: 'Đóng đơn' }).click();
  await expect(page.getByRole('heading', { name: 'Sơ đồ bàn' })).toBeVisible();
});

test('VNPay: the customer pays on the simulator and the POS flips to paid', async ({ page, context, request }) => {
  const shop = cafe();
  const order = await readyOrder(request, shop.id, ['Đậu phộng rang']); // 40.000 ₫
  await signInOwner(context, request, shop.id);
  await page.goto(`/pos/orders/${order.id}`);
  const panel = page.getByTestId('order-panel');
  await panel.getByRole('button', { name: 'Thanh toán' }).click();
  const pay = page.getByRole('dialog', { name: /^Thanh toán · / });
  await pay.getByRole('tab', { name: 'VNPay' }).click();
  await pay.getByRole('button', { name: `Thanh toán qua VNPay ${vndName(40000)}` }).click();
  const intent = pay.getByTestId('intent');
  await expect(intent).toHaveAttribute('data-status', 'pending');
  // The QR the customer scans carries the payment page the link opens.
  const qr = intent.getByRole('img', { name: 'Mã QR thanh toán VNPay' });
  await expect(qr).toBeVisible();
  const link = intent.getByRole('link', { name: 'Mở trên máy này' });
  const url = await link.getAttribute('href');
  expect(url).toContain('/sim/vnpay/paymentv2/vpcpay.html?');
  await expect(qr).toHaveAttribute('data-qr', url!);
  await screens(page, 'payment-vnpay');

  const [gateway] = await Promise.all([context.waitForEvent('page'), link.click()]);
  await expect(gateway.getByText('VNPay — cổng thanh toán giả lập')).toBeVisible();
  await expect(gateway.locator('dd').filter({ hasText: vnd(40000) })).toBeVisible();
  await gateway.getByRole('button', { name: 'Thanh toán' }).click();
  await gateway.waitForURL(/\/api\/v1\/payments\/vnpay\/return/);
  await gateway.close();

  await expect(intent).toHaveAttribute('data-status', 'succeeded');
  await expect(pay.getByTestId('pay-paid')).toHaveText(vnd(40000));
  await pay.getByRole('button', { name: 'Đóng đơn' }).click();
  await expect(page.getByRole('heading', { name: 'Sơ đồ bàn' })).toBeVisible();
});

test('wallet: a new customer opens one, tops it up and pays from it', async ({ page, context, request }) => {
  const shop = cafe();
  const order = await readyOrder(request, shop.id, ['Bạc xỉu']); // 32.000 ₫
  const phone = `09${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
  await signInOwner(context, request, shop.id);
  await page.goto(`/pos/orders/${order.id}`);
  await page.getByTestId('order-panel').getByRole('button', { name: 'Thanh toán' }).click();
  const pay = page.getByRole('dialog', { name: /^Thanh toán · / });
  await pay.getByRole('tab', { name: 'Ví khách hàng' }).click();
  await pay.getByLabel('Số điện thoại của khách').fill(phone);
  await pay.getByRole('button', { name: 'Tìm ví' }).click();
  await expect(pay.getByText(`Số ${phone} chưa có ví.`)).toBeVisible();
  await pay.getByLabel('Tên khách').fill('Chị Lan');
  await pay.getByRole('button', { name: 'Mở ví' }).click();
  const wallet = pay.getByTestId('wallet');
  await expect(wallet.getByTestId('wallet-balance')).toHaveText(vnd(0));
  await expect(pay.getByRole('button', { name: `Trừ ví ${vndName(32000)}` })).toBeDisabled();

  // The customer tops up 100.000 ₫ by bank transfer, then pays from the wallet.
  await pay.getByRole('button', { name: 'Nạp tiền' }).click();
  const topUp = page.getByRole('dialog', { name: 'Nạp tiền vào ví của Chị Lan' });
  await topUp.getByRole('button', { name: vndName(100000), exact: true }).click();
  await topUp.getByLabel('Chuyển khoản').check();
  await topUp.getByRole('button', { name: `Nạp ${vndName(100000)}` }).click();
  await expect(topUp).toHaveCount(0);
  await expect(wallet.getByTestId('wallet-balance')).toHaveText(vnd(100000));
  await screens(page, 'payment-wallet');
  await pay.getByRole('button', { name: `Trừ ví ${vndName(32000)}` }).click();
  const paid = page.getByRole('dialog', { name: 'Đã thanh toán' });
  await expect(paid.getByTestId('change')).toHaveCount(0);
  await paid.getByRole('button', { name: 'Đóng đơn' }).click();
  await expect(page.getByRole('heading', { name: 'Sơ đồ bàn' })).toBeVisible();
});

test('a refund reopens the balance', async ({ page, context, request }) => {
  const shop = cafe();
  const order = await readyOrder(request, shop.id, ['Bánh mì thịt', 'Trà tắc']); // 45.000 ₫
  await signInOwner(context, request, shop.id);
  await page.goto(`/pos/orders/${order.id}`);
  const panel = page.getByTestId('order-panel');
  await expect(page.getByTestId('shift-button')).toHaveText(/Mở ca/);
  await panel.getByRole('button', { name: 'Thanh toán' }).click();
  const pay = page.getByRole('dialog', { name: /^Thanh toán · / });
  await pay.getByRole('button', { name: `Đủ tiền ${vndName(45000)}` }).click();
  await page.getByRole('dialog', { name: 'Chưa mở ca' }).getByRole('button', { name: 'Bỏ qua, thu tiền luôn' }).click();
  await page.getByRole('dialog', { name: 'Đã thanh toán' }).getByRole('button', { name: 'Đóng', exact: true }).click();
  await expect(panel.locator('.status')).toHaveText('Đã thanh toán');

  // The customer sends the tea back: 20.000 ₫ out of the drawer, with the reason.
  await panel.getByRole('button', { name: `Hoàn tiền khoản Tiền mặt ${vndName(45000)}` }).click();
  const refund = page.getByRole('dialog', { name: /^Hoàn tiền · / });
  await expect(refund.getByLabel('Số tiền hoàn (đồng)')).toHaveValue('45000');
  await refund.getByLabel('Số tiền hoàn (đồng)').fill('20000');
  await refund.getByLabel('Lý do').fill('Khách trả lại trà tắc');
  await screens(page, 'refund');
  await refund.getByRole('button', { name: `Hoàn ${vndName(20000)}` }).click();
  const done = page.getByRole('dialog', { name: 'Đã hoàn tiền' });
  await expect(done.getByTestId('refund-result')).toHaveText(`Đã hoàn ${vnd(20000)}.`);
  await done.getByRole('button', { name: 'Đóng', exact: true }).click();

  // The balance is open again: 20.000 ₫ to take, and the payment shows what went back.
  await expect(panel.locator('.status')).not.toHaveText('Đã thanh toán');
  await expect(panel.locator('li[data-payment="cash"]')).toContainText(`đã hoàn ${vnd(20000)}`);
  await expect(panel.locator('.due dd')).toHaveText(vnd(20000));
  await expect(panel.getByRole('button', { name: 'Thanh toán' })).toBeEnabled();
});

test('reconciliation: a transfer that matched no code is applied to an order', async ({ page, context, request }) => {
  const shop = cafe();
  const order = await readyOrder(request, shop.id, ['Cà phê muối']); // 35.000 ₫
  const note = `CK quan ${crypto.randomUUID().slice(0, 6)}`;
  await bankTransfer(context, 35000, note);
  // The simulator's webhook is delivered in the background: wait until the server lists the transfer.
  const token = await ownerToken(request);
  await expect
    .poll(async () => {
      const page = await api<{ items: { content: string }[] }>(request, token, 'GET', `/api/v1/shops/${shop.id}/bank-transfers?status=unmatched`);
      return page.items.some((t) => t.content === note);
    })
    .toBe(true);
  await signInOwner(context, request, shop.id);
  await page.goto('/pos');
  await page.getByRole('link', { name: 'Đối soát' }).click();
  await expect(page.getByRole('heading', { name: 'Đối soát' })).toBeVisible();
  const row = page.locator('li[data-transfer]').filter({ hasText: note });
  await expect(row).toContainText(vnd(35000));
  await screens(page, 'reconcile');
  await row.getByRole('button', { name: 'Gán cho đơn' }).click();
  await row.getByLabel('Chọn đơn').selectOption({ label: `${order.place} · còn ${vnd(35000)}` });
  await row.getByRole('button', { name: 'Gán', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: `Đã gán ${vnd(35000)} cho ${order.place}.` })).toBeVisible();
  await expect(page.locator('li[data-transfer]').filter({ hasText: note })).toHaveCount(0);

  await page.goto(`/pos/orders/${order.id}`);
  const panel = page.getByTestId('order-panel');
  await expect(panel.locator('li[data-payment="vietqr"]')).toContainText(vnd(35000));
  await expect(panel.getByRole('button', { name: 'Đóng đơn' })).toBeVisible();
});

