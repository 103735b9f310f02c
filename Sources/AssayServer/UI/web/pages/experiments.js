import { api } from '../api.js';
import { h, clear, debounce, relTime, fmtDate, statusChip, FINAL, plural, countOf, put, fill } from '../dom.js';

const STATUSES = ['queued', 'running', 'completed', 'failed', 'canceled'];
const PAGE = 25;
const POLL_MS = 3000;

export function progressOf(e) {
  const done = ['succeeded', 'stopped_early', 'failed', 'timed_out', 'canceled'].reduce((n, s) => n + countOf(e.counts, s), 0);
  return { done, total: e.trials || 0, fraction: e.trials ? done / e.trials : 0 };
}

export function countChips(counts) {
  const chips = [];
  const add = (key, label) => { const n = countOf(counts, key); if (n) chips.push(h('span', { class: `count count-${key}`, title: label, dataset: { count: key } }, h('span', { class: 'sr-only' }, `${label}: `), String(n))); };
  add('running', 'Running');
  add('succeeded', 'Succeeded');
  add('stopped_early', 'Stopped early');
  add('failed', 'Failed');
  add('timed_out', 'Timed out');
  add('canceled', 'Canceled');
  add('pending', 'Pending');
  return h('span', { class: 'counts' }, chips);
}

export function progressBar(e, label) {
  const { done, total, fraction } = progressOf(e);
  const pct = Math.round(fraction * 100);
  const bar = h('div', { class: `progress progress-${e.status}`, role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': pct, 'aria-label': label || 'Progress', 'aria-valuetext': `${pct}%, ${done} of ${total} trials` },
    h('div', { class: 'progress-fill' }));
  bar.firstChild.style.width = `${pct}%`;
  return bar;
}

export async function render(root, _params, query, { setQuery, isCurrent, session }) {
  document.title = 'Experiments · Assay';
  const state = {
    q: query.q || '', status: query.status || '', tag: query.tag || '', archived: query.archived === '1',
    sort: query.sort || 'created', dir: query.dir || (query.sort && query.sort !== 'created' ? 'asc' : 'desc'),
    cursors: [null], page: 0, items: [], next: null,
  };
  let timer = null;
  let stopped = false;
  let controller = null;

  const search = h('input', { type: 'search', id: 'exp-search', placeholder: 'Search name, description, tags', value: state.q, autocomplete: 'off' });
  const statusGroup = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Filter by status' });
  const tagSlot = h('div', { class: 'tag-filter' });
  const archived = h('input', { type: 'checkbox', id: 'exp-archived', checked: state.archived });
  const table = h('div', { class: 'table-wrap' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });
  const live = h('p', { class: 'sr-only', 'aria-live': 'polite' });

  function sync() {
    setQuery({ q: state.q, status: state.status, tag: state.tag, archived: state.archived ? '1' : '', sort: state.sort === 'created' ? '' : state.sort, dir: state.sort === 'created' && state.dir === 'desc' ? '' : state.dir });
  }

  function drawStatusGroup() {
    clear(statusGroup);
    for (const s of ['', ...STATUSES]) {
      put(statusGroup, h('button', {
        type: 'button', class: ['seg', s && `seg-${s}`], 'aria-pressed': String(state.status === s), dataset: { status: s || 'all' },
        onclick: () => { state.status = s; reset(); },
      }, s ? s[0].toUpperCase() + s.slice(1) : 'All'));
    }
  }

  function drawTag() {
    clear(tagSlot);
    if (state.tag) {
      put(tagSlot, h('span', { class: 'tag tag-active' }, `tag: ${state.tag}`,
        h('button', { type: 'button', class: 'tag-x', 'aria-label': `Remove tag filter ${state.tag}`, onclick: () => { state.tag = ''; reset(); } }, '×')));
    }
  }

  function reset() {
    state.cursors = [null];
    state.page = 0;
    sync();
    drawStatusGroup();
    drawTag();
    load();
  }

  async function load({ quiet = false } = {}) {
    clearTimeout(timer);
    if (controller) controller.abort();
    controller = new AbortController();
    const params = new URLSearchParams({ limit: String(PAGE) });
    if (state.q) params.set('q', state.q);
    if (state.status) params.set('status', state.status);
    if (state.tag) params.set('tag', state.tag);
    if (state.archived) params.set('include_archived', 'true');
    const after = state.cursors[state.page];
    if (after) params.set('after', after);
    if (!quiet) table.setAttribute('aria-busy', 'true');
    try {
      const page = await api('GET', `/experiments?${params}`, undefined, { signal: controller.signal });
      if (stopped || !isCurrent()) return;
      state.items = page.items;
      state.next = page.next;
      draw(quiet);
    } catch (error) {
      if (error.name === 'AbortError' || stopped) return;
      if (!quiet) {
        fill(table, h('p', { class: 'error-text', role: 'alert' }, error.message));
      }
    } finally {
      table.removeAttribute('aria-busy');
    }
    if (!stopped) {
      const active = state.items.some((e) => !FINAL.has(e.status));
      timer = setTimeout(() => load({ quiet: true }), active ? POLL_MS : POLL_MS * 4);
    }
  }

  function sorted() {
    const dir = state.dir === 'asc' ? 1 : -1;
    const key = {
      created: (e) => e.createdAt,
      name: (e) => e.name.toLowerCase(),
      status: (e) => STATUSES.indexOf(e.status),
      progress: (e) => progressOf(e).fraction,
    }[state.sort] || ((e) => e.createdAt);
    return [...state.items].sort((a, b) => (key(a) < key(b) ? -dir : key(a) > key(b) ? dir : 0));
  }

  function header(label, key) {
    const active = state.sort === key;
    return h('th', { scope: 'col', 'aria-sort': active ? (state.dir === 'asc' ? 'ascending' : 'descending') : 'none' },
      h('button', {
        type: 'button', class: 'sort', dataset: { sort: key },
        onclick: () => {
          if (state.sort === key) state.dir = state.dir === 'asc' ? 'desc' : 'asc';
          else { state.sort = key; state.dir = key === 'created' ? 'desc' : 'asc'; }
          sync();
          draw(false);
        },
      }, label, h('span', { class: 'sort-icon', 'aria-hidden': 'true' }, active ? (state.dir === 'asc' ? '▲' : '▼') : '↕')));
  }

  function row(e) {
    const { done, total } = progressOf(e);
    const owner = e.owner && e.owner !== session.me?.username ? e.owner : null;
    return h('tr', { dataset: { id: e.id, status: e.status } },
      h('td', { class: 'cell-name' },
        h('a', { href: `#/experiments/${encodeURIComponent(e.id)}`, class: 'exp-link' }, e.name),
        e.archived ? h('span', { class: 'badge' }, 'archived') : null,
        e.public ? h('span', { class: 'badge badge-public', title: 'Readable by every signed-in user' }, 'shared') : null,
        owner ? h('span', { class: 'muted small' }, ` by ${owner}`) : null,
        e.description ? h('div', { class: 'muted small clamp' }, e.description) : null,
        e.tags?.length ? h('div', { class: 'tags' }, e.tags.map((tag) => h('button', {
          type: 'button', class: 'tag', title: `Show experiments tagged ${tag}`,
          onclick: () => { state.tag = tag; reset(); },
        }, tag))) : null),
      h('td', {}, statusChip(e.status)),
      h('td', { class: 'cell-progress' }, progressBar(e, `Progress of ${e.name}`),
        h('div', { class: 'progress-meta' }, h('span', { class: 'small' }, `${done}/${total}`), countChips(e.counts))),
      h('td', { class: 'nowrap' }, h('time', { datetime: e.createdAt, title: fmtDate(e.createdAt) }, relTime(e.createdAt))));
  }

  function draw(quiet) {
    const items = sorted();
    if (!items.length) {
      const filtered = state.q || state.status || state.tag;
      fill(table, h('div', { class: 'empty-state' },
        h('h2', {}, filtered ? 'No experiments match' : 'No experiments yet'),
        h('p', { class: 'muted' }, filtered ? 'Try other filters or clear the search.' : 'Upload your code, declare the parameters to sweep, and watch the trials run.'),
        filtered ? null : h('a', { href: '#/new', class: 'btn btn-primary' }, 'New experiment')));
    } else {
      const tbody = table.querySelector('tbody');
      const sameRows = quiet && tbody && [...tbody.rows].map((r) => r.dataset.id).join() === items.map((e) => e.id).join();
      if (sameRows) {
        // Live refresh: swap the rows' cells, so focus and scroll stay where they are.
        [...tbody.rows].forEach((tr, i) => {
          const cells = [...row(items[i]).cells];
          tr.dataset.status = items[i].status;
          for (let c = 1; c < cells.length; c++) tr.replaceChild(cells[c], tr.cells[c]);
        });
      } else {
        fill(table, h('table', { class: 'table experiments', id: 'experiments-table' },
          h('caption', { class: 'sr-only' }, 'Experiments; sorting applies to this page'),
          h('thead', {}, h('tr', {}, header('Name', 'name'), header('Status', 'status'), header('Progress', 'progress'), header('Created', 'created'))),
          h('tbody', {}, items.map(row))));
      }
    }
    clear(pager);
    if (state.page > 0 || state.next) {
      put(pager, 
        h('button', { type: 'button', class: 'btn', disabled: state.page === 0, onclick: () => { state.page -= 1; load(); } }, '← Newer'),
        h('span', { class: 'muted' }, `Page ${state.page + 1}`),
        h('button', { type: 'button', class: 'btn', disabled: !state.next, onclick: () => { state.cursors[state.page + 1] = state.next; state.page += 1; load(); } }, 'Older →'));
    }
    live.textContent = `${plural(items.length, 'experiment')} shown`;
  }

  search.addEventListener('input', debounce(() => { state.q = search.value.trim(); reset(); }, 250));
  archived.addEventListener('change', () => { state.archived = archived.checked; reset(); });

  put(root, h('section', { class: 'page' },
    h('header', { class: 'page-head' },
      h('div', {}, h('h1', {}, 'Experiments'), h('p', { class: 'muted' }, 'Your sweeps, newest first. Experiments others share with you open from their link.')),
      h('a', { href: '#/new', class: 'btn btn-primary' }, '+ New experiment')),
    h('div', { class: 'toolbar' },
      h('div', { class: 'field field-search' }, h('label', { for: search.id, class: 'sr-only' }, 'Search experiments'), search),
      statusGroup, tagSlot,
      h('label', { class: 'check' }, archived, ' Show archived')),
    table, pager, live));
  drawStatusGroup();
  drawTag();
  await load();
  return () => { stopped = true; clearTimeout(timer); if (controller) controller.abort(); };
}
