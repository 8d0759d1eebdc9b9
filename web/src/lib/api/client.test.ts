import { describe, expect, it } from 'vitest';
import { ApiClient, ApiError, NetworkError, newIdempotencyKey, parseProblem, parseRetryAfter } from './client';

interface Sent {
  url: string;
  method: string;
  headers: Headers;
  body: string | undefined;
}

/** A fetch that records each request and answers with the next response. */
function recordingFetch(...responses: Response[]): { fetch: typeof fetch; sent: Sent[] } {
  const sent: Sent[] = [];
  const fetchFn: typeof fetch = async (input, init) => {
    sent.push({
      url: String(input),
      method: init?.method ?? 'GET',
      headers: new Headers(init?.headers),
      body: typeof init?.body === 'string' ? init.body : undefined,
    });
    const next = responses.shift();
    if (!next) throw new Error('test: no response left');
    return next;
  };
  return { fetch: fetchFn, sent };
}

function json(status: number, body: unknown, contentType = 'application/json'): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': contentType } });
}

const uuidV4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('ApiClient requests', () => {
  it('sends the bearer token and parses JSON', async () => {
    const { fetch, sent } = recordingFetch(json(200, { user: { id: 'u1' } }));
    const client = new ApiClient({ fetch, accessToken: () => 'tok-1' });
    const got = await client.get<{ user: { id: string } }>('/api/v1/me');
    expect(got).toEqual({ user: { id: 'u1' } });
    expect(sent[0]?.headers.get('Authorization')).toBe('Bearer tok-1');
    expect(sent[0]?.headers.get('Idempotency-Key')).toBeNull();
    expect(sent[0]?.method).toBe('GET');
  });

  it('sends no Authorization header when signed out', async () => {
    const { fetch, sent } = recordingFetch(json(200, {}));
    await new ApiClient({ fetch }).get('/api/v1/public/shops/s1/menu');
    expect(sent[0]?.headers.has('Authorization')).toBe(false);
  });

  it('adds a fresh Idempotency-Key to every mutation', async () => {
    const { fetch, sent } = recordingFetch(
      json(201, { id: 'l1' }),
      new Response(null, { status: 204 }),
      json(200, {}),
      json(200, {}),
    );
    const client = new ApiClient({ fetch });
    const line = await client.post('/api/v1/orders/o1/lines', { product_id: 'p1', quantity: 2 });
    const none = await client.delete('/api/v1/merchant');
    await client.patch('/api/v1/shops/s1', { prices_include_vat: true });
    await client.put('/api/v1/shops/s1/products/p1', { available: false });

    expect(line).toEqual({ id: 'l1' });
    expect(none).toBeUndefined();
    expect(sent.map((s) => s.method)).toEqual(['POST', 'DELETE', 'PATCH', 'PUT']);
    const keys = sent.map((s) => s.headers.get('Idempotency-Key') ?? '');
    for (const key of keys) expect(key).toMatch(uuidV4);
    expect(new Set(keys).size).toBe(keys.length);
    expect(sent[0]?.headers.get('Content-Type')).toBe('application/json');
    expect(sent[0]?.body).toBe('{"product_id":"p1","quantity":2}');
    expect(sent[1]?.body).toBeUndefined();
  });

  it('reuses a given Idempotency-Key so a retry replays instead of repeating', async () => {
    const { fetch, sent } = recordingFetch(json(201, {}), json(201, {}));
    const client = new ApiClient({ fetch });
    await client.post('/api/v1/orders/o1/payments', { method: 'cash', amount: 185000 }, { idempotencyKey: 'k-1' });
    await client.post('/api/v1/orders/o1/payments', { method: 'cash', amount: 185000 }, { idempotencyKey: 'k-1' });
    expect(sent.map((s) => s.headers.get('Idempotency-Key'))).toEqual(['k-1', 'k-1']);
  });

  it('joins the base URL, path and query, leaving out undefined values', async () => {
    const { fetch, sent } = recordingFetch(json(200, { items: [] }));
    const client = new ApiClient({ fetch, baseUrl: 'https://pos.example.vn/' });
    await client.get('/api/v1/shops/s1/kitchen/tickets', {
      query: { station: 'bar', status: undefined, limit: 50, urgent: true },
    });
    expect(sent[0]?.url).toBe('https://pos.example.vn/api/v1/shops/s1/kitchen/tickets?station=bar&limit=50&urgent=true');
  });

  it('passes extra headers such as If-Match', async () => {
    const { fetch, sent } = recordingFetch(json(200, {}));
    await new ApiClient({ fetch }).patch('/api/v1/orders/o1/timer', {}, { headers: { 'If-Match': '7' } });
    expect(sent[0]?.headers.get('If-Match')).toBe('7');
  });
});

describe('ApiClient errors', () => {
  it('turns problem+json into ApiError with field errors', async () => {
    const { fetch } = recordingFetch(
      json(
        422,
        {
          title: 'Unprocessable Entity',
          status: 422,
          detail: 'validation failed',
          errors: [{ message: 'expected number >= 1', location: 'body.quantity', value: 0 }],
        },
        'application/problem+json',
      ),
    );
    const err = await new ApiClient({ fetch }).post('/api/v1/orders/o1/lines', { quantity: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    const apiErr = err as ApiError;
    expect(apiErr.status).toBe(422);
    expect(apiErr.message).toBe('Unprocessable Entity: validation failed');
    expect(apiErr.fieldErrors).toEqual([{ message: 'expected number >= 1', location: 'body.quantity', value: 0 }]);
  });

  it('reads Retry-After on 429', async () => {
    const { fetch } = recordingFetch(
      new Response(JSON.stringify({ title: 'Too Many Requests', status: 429 }), {
        status: 429,
        headers: { 'Content-Type': 'application/problem+json', 'Retry-After': '12' },
      }),
    );
    const err = (await new ApiClient({ fetch }).post('/api/v1/auth/login', {}).catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(429);
    expect(err.retryAfterSeconds).toBe(12);
  });

  it('makes an ApiError from a non-JSON error page', async () => {
    const { fetch } = recordingFetch(
      new Response('<html>bad gateway</html>', {
        status: 502,
        statusText: 'Bad Gateway',
        headers: { 'Content-Type': 'text/html' },
      }),
    );
    const err = (await new ApiClient({ fetch }).get('/api/v1/me').catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.problem).toEqual({ title: 'Bad Gateway', status: 502, errors: [] });
  });

  it('throws NetworkError when there is no answer', async () => {
    const fetchFn: typeof fetch = async () => {
      throw new TypeError('Failed to fetch');
    };
    const err = await new ApiClient({ fetch: fetchFn }).get('/api/v1/me').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as NetworkError).cause).toBeInstanceOf(TypeError);
  });
});

describe('parseProblem', () => {
  const cases: { name: string; body: unknown; want: ReturnType<typeof parseProblem> }[] = [
    {
      name: 'full document',
      body: { type: 'about:blank', title: 'Conflict', status: 409, detail: 'stale version', instance: '/orders/1' },
      want: { type: 'about:blank', title: 'Conflict', status: 409, detail: 'stale version', instance: '/orders/1', errors: [] },
    },
    { name: 'not an object', body: ['x'], want: { title: 'Not Found', status: 404, errors: [] } },
    { name: 'wrong member types', body: { title: 5, status: '404', detail: {} }, want: { title: 'Not Found', status: 404, errors: [] } },
    {
      name: 'field problems without a message are dropped',
      body: { title: 'Bad Request', errors: [{ location: 'body.x' }, 'oops', { message: 'required', location: 'body.name' }] },
      want: { title: 'Bad Request', status: 404, errors: [{ message: 'required', location: 'body.name' }] },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(parseProblem(c.body, 404, 'Not Found')).toEqual(c.want);
    });
  }

  it('falls back to the status code when there is no status text (HTTP/2)', () => {
    expect(parseProblem(undefined, 503, '').title).toBe('HTTP 503');
  });
});

describe('parseRetryAfter', () => {
  const cases: { header: string | null; want: number | undefined }[] = [
    { header: '30', want: 30 },
    { header: ' 5 ', want: 5 },
    { header: null, want: undefined },
    { header: 'Wed, 21 Oct 2015 07:28:00 GMT', want: undefined },
    { header: '-1', want: undefined },
  ];
  for (const c of cases) {
    it(String(c.header), () => {
      expect(parseRetryAfter(c.header)).toBe(c.want);
    });
  }
});

describe('newIdempotencyKey', () => {
  it('uses crypto.randomUUID when the page is a secure context', () => {
    const got = newIdempotencyKey({
      randomUUID: () => '11111111-2222-4333-8444-555555555555',
      getRandomValues: () => {
        throw new Error('not expected');
      },
    });
    expect(got).toBe('11111111-2222-4333-8444-555555555555');
  });

  it('builds a version-4 UUID from getRandomValues on plain http (shop LAN)', () => {
    const all = <T extends ArrayBufferView | null>(array: T): T => {
      if (array instanceof Uint8Array) array.fill(0xff);
      return array;
    };
    expect(newIdempotencyKey({ getRandomValues: all })).toBe('ffffffff-ffff-4fff-bfff-ffffffffffff');
    const none = <T extends ArrayBufferView | null>(array: T): T => {
      if (array instanceof Uint8Array) array.fill(0);
      return array;
    };
    expect(newIdempotencyKey({ getRandomValues: none })).toBe('00000000-0000-4000-8000-000000000000');
  });
});
