// Small DOM helpers: an element builder, formatting, dialogs and toasts.
// Text always goes in as text nodes (never innerHTML), so no input can inject markup.

/** h('a', {href: '#/', class: 'x', onclick: fn}, 'text', child…) */
export function h(tag, attrs, ...children) {
  const svg = SVG_TAGS.has(tag);
  const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.setAttribute('class', Array.isArray(value) ? value.flat(Infinity).filter(Boolean).join(' ') : value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'text') el.textContent = value;
    else if (!svg && (key === 'value' || key === 'checked' || key === 'disabled' || key === 'selected' || key === 'indeterminate')) el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

const SVG_TAGS = new Set(['svg', 'g', 'path', 'line', 'circle', 'rect', 'text', 'title', 'polyline', 'desc', 'clipPath', 'defs']);

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/** Appends children as h() does: nested arrays flattened, null/false/undefined skipped. */
export function put(el, ...children) {
  append(el, children);
  return el;
}

/** Replaces el's children. */
export function fill(el, ...children) {
  return put(clear(el), ...children);
}

export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** Calls fn at most once per `ms`, always with the latest arguments, trailing call included. */
export function throttle(fn, ms) {
  let last = 0, timer = null, pending = null;
  return (...args) => {
    pending = args;
    const wait = last + ms - Date.now();
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      last = Date.now();
      fn(...pending);
    }, Math.max(0, wait));
  };
}

// ---- formatting ---------------------------------------------------------

export function fmtDate(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function relTime(iso) {
  if (!iso) return '—';
  const seconds = (Date.now() - new Date(iso).getTime()) / 1000;
  if (seconds < 45) return 'just now';
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  if (seconds < 86400 * 30) return `${Math.round(seconds / 86400)} d ago`;
  return new Date(iso).toLocaleDateString();
}

export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return '—';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60), s = Math.round(seconds % 60);
  if (m < 60) return `${m} min ${s} s`;
  const hours = Math.floor(m / 60);
  return `${hours} h ${m % 60} min`;
}

export function fmtNumber(value) {
  if (value === null || value === undefined) return '—';
  if (typeof value !== 'number') return String(value);
  if (!isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(3);
  return String(Number(value.toPrecision(5)));
}

export function fmtBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function plural(n, word, many = word + 's') {
  return `${n.toLocaleString()} ${n === 1 ? word : many}`;
}

// ---- status chips -------------------------------------------------------

const STATUS_LABELS = {
  queued: 'Queued', running: 'Running', completed: 'Completed', failed: 'Failed', canceled: 'Canceled',
  pending: 'Pending', succeeded: 'Succeeded', timed_out: 'Timed out', stopped_early: 'Stopped early',
};

export function statusChip(status, extra) {
  return h('span', { class: `chip chip-${status}`, dataset: { status } }, STATUS_LABELS[status] || status, extra ? ` ${extra}` : null);
}

export function statusLabel(status) {
  return STATUS_LABELS[status] || status;
}

/** A count per trial state (the API spells two states' counts in camel case: `timedOut`, `stoppedEarly`). */
const CAMEL = { timed_out: 'timedOut', stopped_early: 'stoppedEarly' };
export function countOf(counts, status) {
  const c = counts || {};
  return c[status] ?? (CAMEL[status] ? c[CAMEL[status]] : undefined) ?? 0;
}

export const FINAL = new Set(['completed', 'failed', 'canceled']);
export const TRIAL_STATES = ['pending', 'running', 'succeeded', 'stopped_early', 'failed', 'timed_out', 'canceled'];

// ---- dialogs and toasts -------------------------------------------------

/**
 * A modal confirmation (native <dialog>: focus is trapped and Escape cancels).
 * Resolves true when confirmed.
 */
export function confirmDialog({ title, message, confirm = 'Confirm', danger = false }) {
  return new Promise((resolve) => {
    const id = `dialog-${Math.random().toString(36).slice(2)}`;
    const ok = h('button', { type: 'submit', value: 'ok', class: ['btn', danger ? 'btn-danger' : 'btn-primary'] }, confirm);
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': `${id}-title`, 'aria-describedby': `${id}-text` },
      h('form', { method: 'dialog' },
        h('h2', { id: `${id}-title` }, title),
        h('p', { id: `${id}-text` }, message),
        h('div', { class: 'dialog-actions' },
          h('button', { type: 'submit', value: 'cancel', class: 'btn' }, 'Keep it'),
          ok)));
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'ok');
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
    ok.focus();
  });
}

export function toast(message, kind = 'info') {
  const box = document.getElementById('toasts');
  if (!box) return;
  const item = h('div', { class: `toast toast-${kind}` }, message);
  box.append(item);
  setTimeout(() => item.classList.add('toast-out'), 4000);
  setTimeout(() => item.remove(), 4600);
}

/** Copies text; falls back to selecting it when the clipboard API is unavailable (plain http). */
export async function copyText(text, fallbackInput) {
  try {
    await navigator.clipboard.writeText(text);
    toast('Copied to the clipboard');
    return true;
  } catch {
    if (fallbackInput) {
      fallbackInput.focus();
      fallbackInput.select();
      toast('Press Ctrl+C to copy');
    }
    return false;
  }
}
