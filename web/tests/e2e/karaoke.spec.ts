// The karaoke board: starting a room runs its timer live, the running total is
// the rate plan's price for the time so far (one hour at least), pausing stops
// the timer, and checking out opens the bill.
import { expect, test } from '@playwright/test';
import { karaoke, screens, signInOwner } from './demo';

test('karaoke board timer runs, pauses and checks out', async ({ page, context, request }) => {
  await signInOwner(context, request, karaoke().id);
  await page.goto('/pos/karaoke');
  const room = page.locator('[data-room="Phòng 1"]');
  await expect(room).toBeVisible();
  await room.getByRole('button', { name: 'Bắt đầu' }).click();

  const timer = room.getByTestId('room-timer');
  await expect(timer).toBeVisible();
  const first = (await timer.textContent()) ?? '';
  // The clock ticks on screen by itself.
  await expect(timer).not.toHaveText(first, { timeout: 5000 });
  // A small room's minimum is one hour at its rate: 120.000–190.000 ₫ depending on the day and time.
  await expect(room.getByTestId('room-total')).toHaveText(/^1[2-9]0\.000\s₫$/);
  await screens(page, 'karaoke');

  await room.getByRole('button', { name: 'Tạm dừng giờ' }).click();
  await expect(room).toContainText('đang tạm dừng');
  await expect(room.getByRole('button', { name: 'Tiếp tục giờ' })).toBeVisible();

  await room.getByRole('button', { name: 'Trả phòng' }).click();
  await expect(page.getByTestId('order-panel')).toBeVisible();
  await expect(page.getByTestId('order-panel')).toContainText('Chờ thanh toán');
  await expect(page.getByTestId('room-time')).toBeVisible();
});
