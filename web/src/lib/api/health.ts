// Reads the server's readiness (GET /health/ready) for the status panel on the
// home page. Not part of ApiClient: health needs no token and its 503 answer is
// a result to show, not an error to throw.

/** One dependency the server reported on, as it named it (e.g. "database": "ok"). */
export interface ComponentCheck {
  readonly name: string;
  readonly status: string;
}

/** What the readiness probe said. */
export type Readiness =
  | { readonly state: 'ready'; readonly checks: readonly ComponentCheck[] }
  | { readonly state: 'not_ready'; readonly httpStatus: number; readonly checks: readonly ComponentCheck[] }
  | { readonly state: 'unreachable' };

/** The readiness endpoint, relative to the page's origin. */
export const readinessPath = '/health/ready';

/**
 * Asks the server whether it is ready to serve. Any 2xx is ready; another status
 * is not ready; no answer is unreachable. Never throws, except when aborted.
 */
export async function checkReadiness(
  fetchFn: typeof fetch = globalThis.fetch.bind(globalThis),
  signal?: AbortSignal,
): Promise<Readiness> {
  let response: Response;
  try {
    const init: RequestInit = { cache: 'no-store', headers: { Accept: 'application/json' } };
    if (signal) init.signal = signal;
    response = await fetchFn(readinessPath, init);
  } catch (err) {
    if (signal?.aborted) throw err;
    return { state: 'unreachable' };
  }
  const checks = parseChecks(await readBody(response));
  if (response.ok) return { state: 'ready', checks };
  return { state: 'not_ready', httpStatus: response.status, checks };
}

/**
 * Lists the per-dependency results in a readiness body of the form
 * {"checks": {"<name>": "<status>" | {"status": "<status>", ...}}}; anything
 * else yields no checks (the overall state still comes from the HTTP status).
 */
export function parseChecks(body: unknown): ComponentCheck[] {
  if (!isRecord(body) || !isRecord(body['checks'])) return [];
  const checks: ComponentCheck[] = [];
  for (const [name, value] of Object.entries(body['checks'])) {
    const status = typeof value === 'string' ? value : isRecord(value) ? value['status'] : undefined;
    if (typeof status === 'string') checks.push({ name, status });
  }
  return checks.sort((a, b) => a.name.localeCompare(b.name));
}

async function readBody(response: Response): Promise<unknown> {
  if (!(response.headers.get('Content-Type') ?? '').includes('json')) return undefined;
  try {
    return (await response.json()) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
