// The JSON API, as any script uses it: same paths, same answers.  The
// browser sends the session cookie (HttpOnly) by itself; a change sends the
// CSRF token from the readable rv_csrf cookie.  A 401 means the session is
// gone: back to the sign-in page.

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.error && body.error.code;
  }
}

function csrf() {
  const m = document.cookie.match(/(?:^|;\s*)rv_csrf=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : '';
}

const cache = new Map(); // path -> Promise of JSON, for one page view

export function clearCache() {
  cache.clear();
}

export async function get(path) {
  if (cache.has(path)) return cache.get(path);
  const p = (async () => {
    const r = await fetch(path, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (r.status === 401) {
      location.assign('/login');
      throw new ApiError(401, null);
    }
    const body = await r.json().catch(() => null);
    if (!r.ok) throw new ApiError(r.status, body);
    return body;
  })();
  cache.set(path, p);
  p.catch(() => cache.delete(path));
  return p;
}

export async function signOut() {
  await fetch('/logout', { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf() } });
  location.assign('/login');
}

// "/api/v1/reports/win_rate?by=owner&region=EMEA": parameters in a stable
// order, so that the same question is the same path (and cache entry).
// suffix: '' for the numbers, '/records' for the records behind them.
export function reportPath(metric, params, suffix = '') {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.append(k, v);
  const s = q.toString();
  return `/api/v1/reports/${encodeURIComponent(metric)}${suffix}${s ? '?' + s : ''}`;
}
