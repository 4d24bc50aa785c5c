// The dashboard's only way to the server: the public API, as any integrator calls it.
//
// Decisions:
// - Tokens live in sessionStorage: a reload keeps the session, closing the tab ends it, and no
//   other tab or site reads it. The page's Content-Security-Policy allows no script but ours.
// - An answer of 401 refreshes the tokens once (one refresh at a time, shared by concurrent
//   calls, since presenting a spent refresh token again ends the session) and repeats the call.
// - Errors are RFC 9457 problems; `ApiError` carries the problem for the page to show.

const STORE = 'shopgap.session';

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

let session = read();
let refreshing = null;
const listeners = new Set();

function read() {
  try {
    return JSON.parse(sessionStorage.getItem(STORE) || 'null');
  } catch {
    return null;
  }
}

function keep(next) {
  session = next;
  if (next) sessionStorage.setItem(STORE, JSON.stringify(next));
  else sessionStorage.removeItem(STORE);
  listeners.forEach((f) => f(session));
}

export const signedIn = () => session !== null;
export const onSessionChange = (f) => listeners.add(f);

async function problemOf(response) {
  const type = response.headers.get('content-type') || '';
  if (type.includes('json')) {
    try {
      return await response.json();
    } catch {
      return null;
    }
  }
  return null;
}

async function postJson(path, body) {
  return fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(body),
    credentials: 'omit',
  });
}

/** Signs in; a 422 naming `organizations` asks for one of them (the email is in several). */
export async function login(email, password, organizationId) {
  const body = { email, password };
  if (organizationId) body.organization_id = organizationId;
  const response = await postJson('/v1/auth/login', body);
  if (!response.ok) throw new ApiError(response.status, await problemOf(response));
  const tokens = await response.json();
  keep({ access: tokens.access_token, refresh: tokens.refresh_token });
}

export async function logout() {
  const refresh = session?.refresh;
  keep(null);
  if (refresh) await postJson('/v1/auth/logout', { refresh_token: refresh }).catch(() => {});
}

async function refresh() {
  if (!refreshing) {
    const token = session?.refresh;
    refreshing = (async () => {
      if (!token) return false;
      const response = await postJson('/v1/auth/refresh', { refresh_token: token });
      if (!response.ok) return false;
      const tokens = await response.json();
      keep({ access: tokens.access_token, refresh: tokens.refresh_token });
      return true;
    })().finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

/** A query string from an object: empty values are left out, arrays joined by commas. */
export function query(params = {}) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) {
      if (value.length) search.set(key, value.join(','));
    } else search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/**
 * Calls the API: `{ body, etag }` on success, `ApiError` otherwise. `ifMatch` sends the ETag a
 * change is based on; `as: 'blob'` reads a file (evidence photos).
 */
export async function call(method, path, { body, ifMatch, as = 'json', retried = false } = {}) {
  const headers = { Accept: as === 'json' ? 'application/json' : '*/*' };
  if (session) headers.Authorization = `Bearer ${session.access}`;
  if (ifMatch) headers['If-Match'] = ifMatch;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'omit',
  });
  if (response.status === 401 && session && !retried) {
    if (await refresh()) return call(method, path, { body, ifMatch, as, retried: true });
    keep(null);
  }
  if (!response.ok) throw new ApiError(response.status, await problemOf(response));
  const etag = response.headers.get('etag');
  if (response.status === 204) return { body: null, etag };
  return { body: as === 'blob' ? await response.blob() : await response.json(), etag };
}

export const get = (path, params) => call('GET', path + query(params)).then((r) => r.body);

/** Every page of a cursor-paginated list, up to `max` items. */
export async function getAll(path, params = {}, max = 1000) {
  const items = [];
  let cursor;
  do {
    const page = await get(path, { ...params, limit: 100, cursor });
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < max);
  return items;
}
