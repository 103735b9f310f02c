// The single page: session, hash routes, page lifecycle.
//   #/login              log in
//   #/  (?q=&status=…)   experiments
//   #/new                new experiment
//   #/experiments/<id>   one experiment (?tab=trials|charts|declaration)
//   #/tokens             API tokens

import { api, setUnauthorizedHandler } from './api.js';
import { h, clear, toast, put } from './dom.js';
import * as login from './pages/login.js';
import * as experiments from './pages/experiments.js';
import * as newExperiment from './pages/new.js';
import * as experiment from './pages/experiment.js';
import * as tokens from './pages/tokens.js';

const main = document.getElementById('main');
export const session = { me: null };
let cleanup = null;
let renderCount = 0;

/** The route of a hash: {page, params, query}. */
export function parseHash(hash) {
  const text = hash.replace(/^#/, '') || '/';
  const [path, search = ''] = text.split('?');
  const query = Object.fromEntries(new URLSearchParams(search));
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { page: experiments, name: 'experiments', params: {}, query };
  if (parts[0] === 'login') return { page: login, name: 'login', params: {}, query };
  if (parts[0] === 'new') return { page: newExperiment, name: 'new', params: {}, query };
  if (parts[0] === 'tokens') return { page: tokens, name: 'tokens', params: {}, query };
  if (parts[0] === 'experiments' && parts.length === 1) return { page: experiments, name: 'experiments', params: {}, query };
  if (parts[0] === 'experiments' && parts.length === 2) return { page: experiment, name: 'experiment', params: { id: parts[1] }, query };
  return { page: null, name: 'missing', params: {}, query };
}

export function navigate(hash, { replace = false } = {}) {
  if (replace) {
    history.replaceState(null, '', hash);
    route();
  } else if (location.hash === hash) {
    route();
  } else {
    location.hash = hash;
  }
}

/** Updates the query of the current hash without re-rendering (filters, tabs). */
export function setQuery(query) {
  const [path] = (location.hash || '#/').split('?');
  const search = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== '' && v !== undefined && v !== null && v !== false)).toString();
  history.replaceState(null, '', search ? `${path}?${search}` : path);
}

function showChrome(signedIn) {
  document.getElementById('nav').hidden = !signedIn;
  document.getElementById('account').hidden = !signedIn;
  document.getElementById('who').textContent = signedIn ? session.me.username : '';
}

function markNav(name) {
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

async function route() {
  const { page, name, params, query } = parseHash(location.hash);
  if (cleanup) { try { cleanup(); } catch { /* a page's cleanup must not stop the next */ } cleanup = null; }
  const ticket = ++renderCount;
  if (name !== 'login' && !session.me) {
    try {
      session.me = await api('GET', '/me', undefined, { quiet401: true });
    } catch (error) {
      if (error.status === 401) {
        const next = location.hash && !location.hash.startsWith('#/login') ? location.hash : '';
        navigate(`#/login${next ? `?next=${encodeURIComponent(next)}` : ''}`, { replace: true });
        return;
      }
      renderError(error);
      return;
    }
  }
  if (ticket !== renderCount) return;
  showChrome(Boolean(session.me) && name !== 'login');
  markNav(name);
  clear(main);
  if (!page) {
    document.title = 'Not found · Assay';
    put(main, h('section', { class: 'empty-state' }, h('h1', {}, 'Page not found'),
      h('p', {}, 'There is no page at this address.'), h('a', { href: '#/', class: 'btn btn-primary' }, 'Go to experiments')));
    focusHeading();
    return;
  }
  const context = { session, navigate, setQuery, isCurrent: () => ticket === renderCount };
  // Each page draws into its own container: a page still loading when the next one starts
  // draws into a container that is no longer in the document.
  const container = h('div', { class: 'route' });
  main.append(container);
  try {
    const done = (await page.render(container, params, query, context)) || null;
    if (ticket === renderCount) cleanup = done;
    else if (done) done();
  } catch (error) {
    if (ticket === renderCount) renderError(error);
  }
  if (ticket === renderCount) focusHeading();
}

function focusHeading() {
  // Move focus to the page's heading so screen readers announce the new page.
  const heading = main.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: true });
  }
}

function renderError(error) {
  clear(main);
  put(main, h('section', { class: 'empty-state' },
    h('h1', {}, 'Something went wrong'),
    h('p', { class: 'error-text' }, error.message || String(error)),
    h('button', { type: 'button', class: 'btn', onclick: () => route() }, 'Try again')));
}

setUnauthorizedHandler(() => {
  if (!session.me) return;
  session.me = null;
  toast('Your session has ended. Please log in again.', 'error');
  const next = location.hash.startsWith('#/login') ? '' : location.hash;
  navigate(`#/login${next ? `?next=${encodeURIComponent(next)}` : ''}`, { replace: true });
});

document.getElementById('logout').addEventListener('click', async () => {
  try { await api('POST', '/auth/logout'); } catch { /* logged out either way */ }
  session.me = null;
  navigate('#/login', { replace: true });
});

document.getElementById('skip-link').addEventListener('click', (event) => {
  // The hash is the route: focus the content without touching it.
  event.preventDefault();
  main.focus();
});

window.addEventListener('hashchange', route);
route();
