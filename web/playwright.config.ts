// Browser tests of the real app against the real server. The webServer step
// builds the Go binary once (after `npm run build`, so dist/ is embedded) and
// starts it in demo mode on a free port with a fresh data directory (embedded
// SQLite and NATS); tests read the demo logins from that directory. Chromium
// is Debian's (/usr/bin/chromium): Playwright never downloads a browser here.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig, devices } from '@playwright/test';

// The config is read by the runner and again by each worker; the runner picks
// the port and data directory once and the workers inherit them.
if (!process.env['GOODGO_E2E_PORT']) {
  const probe = spawnSync(
    process.execPath,
    ['-e', "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"],
    { encoding: 'utf8' },
  );
  process.env['GOODGO_E2E_PORT'] = probe.stdout.trim();
  process.env['GOODGO_E2E_DATA'] = mkdtempSync(join(tmpdir(), 'goodgo-e2e-'));
}
const port = process.env['GOODGO_E2E_PORT'];
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: 'tests/e2e',
  outputDir: 'test-results/artifacts',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  use: {
    baseURL,
    locale: 'vi-VN',
    timezoneId: 'Asia/Ho_Chi_Minh',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: { executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium' },
  },
  projects: [{ name: 'chromium', use: { ...devices['Desktop Chrome'], viewport: { width: 1280, height: 800 } } }],
  webServer: {
    command: 'node tests/e2e/serve.mjs',
    url: `${baseURL}/health/ready`,
    timeout: 240_000,
    reuseExistingServer: false,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
