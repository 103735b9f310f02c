// The server's JSON API, same origin, authenticated by the session cookie.
// Every failure becomes an ApiError whose message a person can read.

export class ApiError extends Error {
  constructor(status, code, message, fields = [], retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields;
    this.retryAfter = retryAfter;
  }
}

/** Called with no arguments when the session is gone (401 on a route that needs one). */
let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

export async function api(method, path, body, { signal, quiet401 = false } = {}) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' }, signal };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(`/api/v1${path}`, init);
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, 'network', 'Cannot reach the Assay server. Check your connection; this page retries when you act again.');
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (response.ok) return data;
  const error = toError(response.status, data, response.headers.get('Retry-After'));
  if (response.status === 401 && !quiet401) onUnauthorized();
  throw error;
}

function toError(status, data, retryAfter) {
  const detail = (data && data.error) || {};
  const fields = (detail.fields || []).map((f) => ({ path: f.path ?? f.field ?? '', message: f.message }));
  return new ApiError(status, detail.code || `http_${status}`, humanMessage(status, detail, retryAfter), fields,
    retryAfter ? Number(retryAfter) : null);
}

/** The server's messages are already for people; this frames the ones that need context. */
function humanMessage(status, detail, retryAfter) {
  switch (detail.code) {
    case 'invalid_credentials': return 'Wrong username or password.';
    case 'rate_limited': return `Too many failed attempts. Try again in ${retryAfter || 60} seconds.`;
    case 'unauthorized': return 'Your session has ended. Please log in again.';
    case 'not_found': return 'Not found. It may have been deleted, or it belongs to someone else.';
    case 'store_unavailable': return 'The server cannot reach its database right now. Try again in a moment.';
    case 'too_large': return `That is larger than the server accepts${detail.message ? ` (${detail.message})` : ''}.`;
    case 'internal': return 'Something went wrong on the server. Try again; if it keeps happening, tell your administrator.';
    case 'forbidden': return 'You are not allowed to do that.';
    case 'invalid_declaration': return 'The declaration has problems; see the highlighted fields.';
    default: break;
  }
  if (detail.message) return sentence(detail.message);
  if (status >= 500) return `The server answered ${status}. Try again in a moment.`;
  return `The request failed (${status}).`;
}

function sentence(text) {
  const first = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

/**
 * POSTs a Blob with XMLHttpRequest (fetch has no upload progress).
 * onProgress(loaded, total) is called as the bytes go out.
 */
export function upload(path, blob, { contentType = 'application/zip', onProgress, signal } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/v1${path}`);
    xhr.withCredentials = true;
    xhr.setRequestHeader('Content-Type', contentType);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (event) => { if (onProgress) onProgress(event.loaded, event.lengthComputable ? event.total : blob.size); };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'The upload was interrupted: the server could not be reached.'));
    xhr.onabort = () => reject(new DOMException('aborted', 'AbortError'));
    xhr.onload = () => {
      let data = null;
      try { data = xhr.responseText ? JSON.parse(xhr.responseText) : null; } catch { data = null; }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else {
        if (xhr.status === 401) onUnauthorized();
        reject(toError(xhr.status, data, xhr.getResponseHeader('Retry-After')));
      }
    };
    if (signal) signal.addEventListener('abort', () => xhr.abort());
    xhr.send(blob);
  });
}

export const enc = encodeURIComponent;
