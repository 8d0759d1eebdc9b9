// Turning a failed request into one sentence for staff or customers.
import { ApiError, NetworkError } from './api/client';
import type { MessageKey, MessageValues } from './i18n';

/** Returns what went wrong in the user's language: offline, rate limited, or the server's own words. */
export function describeError(err: unknown, t: (key: MessageKey, values?: MessageValues) => string): string {
  if (err instanceof NetworkError) return t('error.network');
  if (err instanceof ApiError) {
    if (err.status === 429) return t('error.rate_limited', { seconds: err.retryAfterSeconds ?? 60 });
    if (err.status === 409) return t('error.conflict', { detail: err.problem.detail ?? err.problem.title });
    const fields = err.fieldErrors.map((f) => f.message).join('; ');
    return [err.problem.detail ?? err.problem.title, fields].filter(Boolean).join(': ');
  }
  return t('error.unexpected');
}
