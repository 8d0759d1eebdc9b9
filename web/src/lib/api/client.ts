// The HTTP client for the GoodGo API (API.md): bearer auth, an Idempotency-Key
// on every mutation so terminals can retry safely, and RFC 9457 problem+json
// errors turned into ApiError. Request and response types come from the
// OpenAPI document (npm run gen:api → schema.d.ts); callers name them.

/** One field problem in a problem+json `errors` list (huma's ErrorDetail). */
export interface FieldProblem {
  /** What is wrong, e.g. "expected number >= 1". */
  readonly message: string;
  /** Where, e.g. "body.lines[0].quantity". */
  readonly location?: string;
  /** The value that was refused. */
  readonly value?: unknown;
}

/** An RFC 9457 problem document as the GoodGo API sends it. */
export interface Problem {
  readonly type?: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly instance?: string;
  readonly errors: readonly FieldProblem[];
}

/**
 * A request the server answered with an error status. `status` is the HTTP
 * status; `problem` is the parsed problem+json body (synthesised from the status
 * line when the body was something else, e.g. from a proxy).
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly problem: Problem;
  /** Seconds to wait before retrying, from Retry-After on 429/503, when given. */
  readonly retryAfterSeconds: number | undefined;

  constructor(problem: Problem, retryAfterSeconds?: number) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
    this.status = problem.status;
    this.problem = problem;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** The field problems (422 and 400), empty when the error is not about fields. */
  get fieldErrors(): readonly FieldProblem[] {
    return this.problem.errors;
  }
}

/**
 * The request never got an answer: offline, DNS, connection reset, or aborted.
 * A mutation that failed this way may or may not have happened; retry it with
 * the same idempotencyKey to find out without doing it twice.
 */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';

  constructor(message: string, options?: { cause: unknown }) {
    super(message, options);
  }
}

/** HTTP methods the API uses. */
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Per-request options. */
export interface RequestOptions {
  /** JSON-serialisable request body. */
  readonly body?: unknown;
  /** Query parameters; undefined values are left out. */
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** Idempotency key for a mutation; a fresh one is made when absent. Reuse it when retrying. */
  readonly idempotencyKey?: string;
  /** Extra headers, e.g. If-Match. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

/** How to reach the server and authenticate. */
export interface ApiClientOptions {
  /** Origin (and optional path prefix) of the server; empty means this page's origin. */
  readonly baseUrl?: string;
  /**
   * Returns the current access token, or undefined when signed out; it may be
   * async so that a session can refresh an expiring token first.
   */
  readonly accessToken?: () => string | undefined | Promise<string | undefined>;
  /** The fetch to use; the browser's by default (tests pass their own). */
  readonly fetch?: typeof fetch;
  /** Makes idempotency keys; newIdempotencyKey by default. */
  readonly newKey?: () => string;
}

/** Calls the GoodGo API. Paths are absolute, e.g. "/api/v1/me" or "/health/ready". */
export class ApiClient {
  readonly #baseUrl: string;
  readonly #accessToken: () => string | undefined | Promise<string | undefined>;
  readonly #fetch: typeof fetch;
  readonly #newKey: () => string;

  constructor(options: ApiClientOptions = {}) {
    this.#baseUrl = (options.baseUrl ?? '').replace(/\/+$/, '');
    this.#accessToken = options.accessToken ?? (() => undefined);
    // Bind: the browser's fetch throws "Illegal invocation" when called as a method of another object.
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#newKey = options.newKey ?? (() => newIdempotencyKey());
  }

  /**
   * Sends a request and returns the JSON body (undefined for 204 or an empty
   * body). Throws ApiError for a non-2xx answer and NetworkError when there is
   * no answer.
   */
  async request<T>(method: Method, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options);
    return (await readJson(response)) as T;
  }

  /**
   * Sends a request and returns the raw 2xx response, for bodies that are not
   * JSON (CSV exports, QR images). Errors are thrown as in request.
   */
  async send(method: Method, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers = new Headers(options.headers);
    headers.set('Accept', 'application/json, application/problem+json;q=0.9, */*;q=0.1');
    const token = await this.#accessToken();
    if (token) headers.set('Authorization', `Bearer ${token}`);
    if (method !== 'GET') headers.set('Idempotency-Key', options.idempotencyKey ?? this.#newKey());

    const init: RequestInit = { method, headers };
    if (options.body !== undefined) {
      headers.set('Content-Type', 'application/json');
      init.body = JSON.stringify(options.body);
    }
    if (options.signal) init.signal = options.signal;

    let response: Response;
    try {
      response = await this.#fetch(this.#url(path, options.query), init);
    } catch (err) {
      throw new NetworkError(`${method} ${path}: no response`, { cause: err });
    }
    if (!response.ok) throw await errorFromResponse(response);
    return response;
  }

  /** GET path; see request. */
  get<T>(path: string, options?: Omit<RequestOptions, 'body' | 'idempotencyKey'>): Promise<T> {
    return this.request<T>('GET', path, options);
  }

  /** POST body to path; see request. */
  post<T>(path: string, body?: unknown, options?: Omit<RequestOptions, 'body'>): Promise<T> {
    return this.request<T>('POST', path, { ...options, body });
  }

  /** PUT body to path; see request. */
  put<T>(path: string, body?: unknown, options?: Omit<RequestOptions, 'body'>): Promise<T> {
    return this.request<T>('PUT', path, { ...options, body });
  }

  /** PATCH body to path; see request. */
  patch<T>(path: string, body?: unknown, options?: Omit<RequestOptions, 'body'>): Promise<T> {
    return this.request<T>('PATCH', path, { ...options, body });
  }

  /** DELETE path; see request. */
  delete<T>(path: string, options?: Omit<RequestOptions, 'body'>): Promise<T> {
    return this.request<T>('DELETE', path, options);
  }

  #url(path: string, query: RequestOptions['query']): string {
    let url = this.#baseUrl + path;
    if (query) {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(query)) {
        if (value !== undefined) params.append(key, String(value));
      }
      const qs = params.toString();
      if (qs) url += (url.includes('?') ? '&' : '?') + qs;
    }
    return url;
  }
}

/**
 * Returns a random UUID for an Idempotency-Key. crypto.randomUUID exists only
 * in secure contexts (HTTPS, localhost); terminals on a shop LAN often load the
 * app over plain http://192.168…, so fall back to getRandomValues (available
 * everywhere) to build the same RFC 9562 version-4 UUID.
 */
export function newIdempotencyKey(
  source: Pick<Crypto, 'getRandomValues'> & Partial<Pick<Crypto, 'randomUUID'>> = globalThis.crypto,
): string {
  if (typeof source.randomUUID === 'function') return source.randomUUID();
  const bytes = source.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40; // version 4
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 9562 variant
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Builds the ApiError for a non-2xx response. */
async function errorFromResponse(response: Response): Promise<ApiError> {
  const contentType = response.headers.get('Content-Type') ?? '';
  let body: unknown;
  if (contentType.includes('json')) {
    try {
      body = await response.json();
    } catch {
      body = undefined;
    }
  }
  return new ApiError(
    parseProblem(body, response.status, response.statusText),
    parseRetryAfter(response.headers.get('Retry-After')),
  );
}

/**
 * Reads an RFC 9457 problem document, keeping only well-typed members; the
 * HTTP status and status text fill in whatever the body lacks.
 */
export function parseProblem(body: unknown, status: number, statusText: string): Problem {
  const doc = isRecord(body) ? body : {};
  const title = nonEmptyString(doc['title']) ?? (statusText || `HTTP ${status}`);
  const problem: {
    -readonly [K in keyof Problem]: Problem[K];
  } = {
    title,
    status: typeof doc['status'] === 'number' ? doc['status'] : status,
    errors: Array.isArray(doc['errors']) ? doc['errors'].flatMap(parseFieldProblem) : [],
  };
  const type = nonEmptyString(doc['type']);
  if (type !== undefined) problem.type = type;
  const detail = nonEmptyString(doc['detail']);
  if (detail !== undefined) problem.detail = detail;
  const instance = nonEmptyString(doc['instance']);
  if (instance !== undefined) problem.instance = instance;
  return problem;
}

function parseFieldProblem(item: unknown): FieldProblem[] {
  if (!isRecord(item)) return [];
  const message = nonEmptyString(item['message']);
  if (message === undefined) return [];
  const location = nonEmptyString(item['location']);
  const field: { message: string; location?: string; value?: unknown } = { message };
  if (location !== undefined) field.location = location;
  if ('value' in item) field.value = item['value'];
  return [field];
}

/** Reads Retry-After given in seconds (the form the API sends); dates are ignored. */
export function parseRetryAfter(header: string | null): number | undefined {
  if (header === null || !/^\s*\d+\s*$/.test(header)) return undefined;
  return Number.parseInt(header, 10);
}

async function readJson(response: Response): Promise<unknown> {
  if (response.status === 204) return undefined;
  const text = await response.text();
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
