// Playwright's webServer: builds the goodgo binary (embedding the web/dist
// that `npm run build` made) and runs it in demo mode on GOODGO_E2E_PORT with
// the fresh data directory GOODGO_E2E_DATA. Stops the server with the runner.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const port = process.env['GOODGO_E2E_PORT'];
const data = process.env['GOODGO_E2E_DATA'];
if (!port || !data) throw new Error('serve.mjs runs under playwright.config.ts (GOODGO_E2E_PORT, GOODGO_E2E_DATA)');
if (!existsSync(join(repo, 'web/dist/index.html'))) throw new Error('web/dist is not built: run `npm run build` first');

const bin = join(data, 'goodgo');
const go = process.env['GO'] ?? 'go';
const built = spawnSync(go, ['build', '-o', bin, './cmd/goodgo'], { cwd: repo, stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status ?? 1);

const server = spawn(bin, ['serve'], {
  cwd: data,
  stdio: 'inherit',
  env: {
    ...process.env,
    GOODGO_DEMO: 'true',
    GOODGO_DATA_DIR: data,
    GOODGO_HTTP_ADDR: `127.0.0.1:${port}`,
    GOODGO_PUBLIC_URL: `http://127.0.0.1:${port}`,
    GOODGO_LOG_LEVEL: 'warn',
    // Every test signs in; the default 10 sign-ins a minute per account would throttle the suite.
    GOODGO_RATELIMIT_AUTH: '600/m',
    GOODGO_RATELIMIT_AUTH_IP: '6000/m',
  },
});
for (const sig of /** @type {const} */ (['SIGINT', 'SIGTERM'])) process.on(sig, () => server.kill(sig));
server.on('exit', (code) => process.exit(code ?? 0));
