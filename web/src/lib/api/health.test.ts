import { describe, expect, it } from 'vitest';
import { checkReadiness, parseChecks, readinessPath, type Readiness } from './health';

function respondWith(status: number, body?: unknown): typeof fetch {
  return async (input) => {
    expect(String(input)).toBe(readinessPath);
    const init: ResponseInit = { status };
    if (body === undefined) return new Response(null, init);
    return new Response(JSON.stringify(body), { ...init, headers: { 'Content-Type': 'application/json' } });
  };
}

describe('checkReadiness', () => {
  const cases: { name: string; fetch: typeof fetch; want: Readiness }[] = [
    { name: '200 is ready', fetch: respondWith(200, { status: 'ok' }), want: { state: 'ready', checks: [] } },
    {
      name: '503 is not ready, with the failing dependency',
      fetch: respondWith(503, { checks: { database: 'ok', nats: { status: 'down', error: 'timeout' } } }),
      want: {
        state: 'not_ready',
        httpStatus: 503,
        checks: [
          { name: 'database', status: 'ok' },
          { name: 'nats', status: 'down' },
        ],
      },
    },
    { name: 'no body', fetch: respondWith(204), want: { state: 'ready', checks: [] } },
    {
      name: 'no answer is unreachable',
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      },
      want: { state: 'unreachable' },
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      expect(await checkReadiness(c.fetch)).toEqual(c.want);
    });
  }

  it('rethrows when aborted, so a stale check never overwrites a newer one', async () => {
    const controller = new AbortController();
    controller.abort();
    const fetchFn: typeof fetch = async (_input, init) => {
      init?.signal?.throwIfAborted();
      return new Response(null, { status: 200 });
    };
    await expect(checkReadiness(fetchFn, controller.signal)).rejects.toThrow();
  });
});

describe('parseChecks', () => {
  const cases: { name: string; body: unknown; want: { name: string; status: string }[] }[] = [
    { name: 'not an object', body: 'ok', want: [] },
    { name: 'checks is a list', body: { checks: ['db'] }, want: [] },
    {
      name: 'sorted by name, bad entries skipped',
      body: { checks: { redis: 'ok', db: { status: 'ok' }, broken: 3, odd: { state: 'x' } } },
      want: [
        { name: 'db', status: 'ok' },
        { name: 'redis', status: 'ok' },
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(parseChecks(c.body)).toEqual(c.want);
    });
  }
});
