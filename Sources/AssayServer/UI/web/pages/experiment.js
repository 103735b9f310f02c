// One experiment: live header (SSE), trials (sortable, filterable, paged, so
// 10,000 are fine), charts, live logs, actions, downloads and sharing.

import { api, enc } from '../api.js';
import { h, clear, fmtDate, fmtDuration, fmtNumber, relTime, statusChip, statusLabel, confirmDialog, toast, copyText, throttle, FINAL, TRIAL_STATES, countOf, plural, put, fill } from '../dom.js';
import { progressBar, progressOf, countChips } from './experiments.js';
import { scatterChart, lineChart, legend, PALETTE_SIZE } from '../chart.js';
import { parseYaml, emitYaml } from '../yaml.js';

const PAGE_SIZE = 50;
const FETCH_LIMIT = 1000;
const MAX_LOADED = 50000;
const MAX_PLOTTED = 8;
const LOG_LINES = 500;
const LOG_KEEP = 2000;

export async function render(root, params, query, { session, navigate, setQuery, isCurrent }) {
  const id = params.id;
  let exp;
  try {
    exp = await api('GET', `/experiments/${enc(id)}`);
  } catch (error) {
    if (error.status === 404 || error.status === 400) {
      document.title = 'Not found · Assay';
      put(root, h('section', { class: 'empty-state', id: 'not-found' },
        h('h1', {}, 'Experiment not found'),
        h('p', {}, 'There is no experiment at this link that you can see. It may have been deleted, or its owner has not shared it.'),
        h('a', { href: '#/', class: 'btn btn-primary' }, 'Back to experiments')));
      return null;
    }
    throw error;
  }
  if (!isCurrent()) return null;

  let declaration = null;
  try { declaration = parseYaml(exp.declaration || ''); } catch { declaration = null; }
  const declaredParams = declaration && declaration.parameters && typeof declaration.parameters === 'object' ? declaration.parameters : {};
  const objective = declaration && declaration.objective && typeof declaration.objective === 'object' ? declaration.objective : null;
  const isOwner = exp.owner === undefined || exp.owner === session.me?.username;

  const state = {
    tab: ['trials', 'charts', 'declaration'].includes(query.tab) ? query.tab : 'trials',
    trials: new Map(),
    loadedAll: false,
    sort: { key: 'index', dir: 1 },
    statusFilter: '',
    textFilter: '',
    page: 0,
    plotted: new Set(),
    logTrial: null,
    series: new Map(),          // trial -> {name -> {steps, values}}
    completions: [],            // [time, done] samples for the ETA
    stopped: false,
  };
  const timers = [];
  let source = null;

  // ---- header ------------------------------------------------------------
  const title = h('h1', { class: 'exp-title' });
  const statusSlot = h('span', { id: 'exp-status' });
  const badges = h('span', { class: 'badges' });
  const meta = h('p', { class: 'muted small exp-meta' });
  const reason = h('div', { class: 'callout callout-error', id: 'exp-reason', role: 'status', hidden: true });
  const progressSlot = h('div', { class: 'exp-progress', id: 'exp-progress' });
  const progressText = h('p', { class: 'progress-text', id: 'progress-text', 'aria-live': 'polite' });
  const countsSlot = h('div', { id: 'exp-counts' });
  const liveDot = h('span', { class: 'live-dot', id: 'live-state', title: 'Live updates' }, 'connecting…');
  const actions = h('div', { class: 'actions-row', id: 'exp-actions' });
  const share = h('div', { class: 'share', id: 'share' });

  function drawHeader() {
    document.title = `${exp.name} · Assay`;
    title.textContent = exp.name;
    fill(statusSlot, statusChip(exp.status));
    fill(badges, 
      exp.archived ? h('span', { class: 'badge' }, 'archived') : null,
      exp.public ? h('span', { class: 'badge badge-public' }, 'shared') : null,
      !isOwner ? h('span', { class: 'badge' }, `read-only · ${exp.owner}'s`) : null);
    fill(meta, 
      exp.owner ? `by ${exp.owner} · ` : '',
      'created ', h('time', { datetime: exp.createdAt, title: fmtDate(exp.createdAt) }, relTime(exp.createdAt)),
      exp.startedAt ? [' · started ', h('time', { datetime: exp.startedAt, title: fmtDate(exp.startedAt) }, fmtDate(exp.startedAt))] : null,
      exp.finishedAt ? [' · finished ', h('time', { datetime: exp.finishedAt }, fmtDate(exp.finishedAt))] : null,
      ` · ${plural(exp.trials, 'trial')}`,
      exp.maxAttempts > 1 ? ` · up to ${exp.maxAttempts} attempts each` : '');
    if (exp.reason && exp.status !== 'completed') {
      reason.hidden = false;
      fill(reason, h('strong', {}, exp.status === 'failed' ? 'Failed: ' : 'Note: '), exp.reason);
    } else reason.hidden = true;
    drawProgress();
    drawActions();
  }

  function drawProgress() {
    const { done, total, fraction } = progressOf(exp);
    fill(progressSlot, progressBar(exp, 'Experiment progress'));
    const pct = Math.round(fraction * 100);
    const eta = estimate(done, total);
    progressText.textContent = `${done.toLocaleString()} of ${total.toLocaleString()} trials done · ${pct}%${eta ? ` · ${eta}` : ''}`;
    fill(countsSlot, countChips(exp.counts));
  }

  function estimate(done, total) {
    if (FINAL.has(exp.status)) {
      if (exp.startedAt && exp.finishedAt) return `took ${fmtDuration((new Date(exp.finishedAt) - new Date(exp.startedAt)) / 1000)}`;
      return '';
    }
    if (exp.status !== 'running' || done >= total) return exp.status === 'queued' ? 'waiting for Runners' : '';
    const samples = state.completions;
    let rate = null;  // trials per second
    if (samples.length >= 2 && samples[samples.length - 1][1] - samples[0][1] >= 3) {
      const [t0, d0] = samples[0], [t1, d1] = samples[samples.length - 1];
      rate = (d1 - d0) / ((t1 - t0) / 1000);
    } else if (exp.startedAt && done > 0) {
      rate = done / ((Date.now() - new Date(exp.startedAt).getTime()) / 1000);
    }
    if (!rate || !isFinite(rate) || rate <= 0) return 'estimating time left…';
    return `about ${fmtDuration((total - done) / rate)} left`;
  }

  function recordProgress() {
    const { done } = progressOf(exp);
    state.completions.push([Date.now(), done]);
    const cutoff = Date.now() - 120000;
    while (state.completions.length > 2 && state.completions[0][0] < cutoff) state.completions.shift();
  }

  function button(label, attrs, handler) {
    return h('button', { type: 'button', class: 'btn', ...attrs, onclick: handler }, label);
  }

  function drawActions() {
    clear(actions);
    const base = `/api/v1/experiments/${enc(id)}`;
    const downloads = h('div', { class: 'downloads', role: 'group', 'aria-label': 'Downloads' },
      h('a', { class: 'btn btn-ghost', href: `${base}/results.csv`, download: `${id}.csv`, id: 'download-csv' }, '⤓ results.csv'),
      h('a', { class: 'btn btn-ghost', href: `${base}/results.json`, download: `${id}.json`, id: 'download-json' }, '⤓ results.json'),
      h('a', { class: 'btn btn-ghost', href: `${base}/bundle.zip`, download: `${id}.zip`, id: 'download-bundle' }, '⤓ bundle.zip'));
    if (isOwner) {
      const final = FINAL.has(exp.status);
      put(actions, h('div', { class: 'action-buttons' },
        final ? null : button('Cancel', { id: 'action-cancel', class: 'btn btn-danger-ghost' }, doCancel),
        button('Rerun', { id: 'action-rerun' }, doRerun),
        button(exp.archived ? 'Unarchive' : 'Archive', { id: 'action-archive' }, doArchive),
        button('Delete', { id: 'action-delete', class: 'btn btn-danger-ghost' }, doDelete)));
    }
    put(actions, downloads);
    drawShare();
  }

  function drawShare() {
    clear(share);
    const link = `${location.origin}${location.pathname}#/experiments/${encodeURIComponent(id)}`;
    const input = h('input', { readonly: true, value: link, class: 'mono', id: 'share-link', 'aria-label': 'Link to this experiment' });
    const canShare = isOwner && exp.public !== undefined;
    put(share, 
      canShare ? h('div', { class: 'switch-row' },
        h('button', { type: 'button', role: 'switch', id: 'share-toggle', class: 'switch', 'aria-checked': String(Boolean(exp.public)), 'aria-labelledby': 'share-label', onclick: toggleShare },
          h('span', { class: 'switch-knob', 'aria-hidden': 'true' })),
        h('span', { id: 'share-label' }, exp.public ? 'Shared: every signed-in user can view it (read-only)' : 'Private: only you can open this link')) : null,
      h('div', { class: 'copy-row' }, input, h('button', { type: 'button', class: 'btn', id: 'copy-link', onclick: () => copyText(link, input) }, 'Copy link')));
  }

  async function toggleShare() {
    try {
      const updated = await api('POST', `/experiments/${enc(id)}/visibility`, { public: !exp.public });
      exp = { ...exp, ...updated };
      toast(exp.public ? 'Shared: signed-in users with the link can view it' : 'Private again: only you can open it');
      drawHeader();
      share.querySelector('#share-toggle')?.focus();
    } catch (error) { toast(error.message, 'error'); }
  }

  async function doCancel() {
    const ok = await confirmDialog({ title: 'Cancel this experiment?', message: 'Running trials are stopped and pending ones will not start. Finished results are kept.', confirm: 'Cancel experiment', danger: true });
    if (!ok) return;
    try {
      exp = { ...exp, ...(await api('POST', `/experiments/${enc(id)}/cancel`)) };
      toast('Experiment canceled');
      drawHeader();
    } catch (error) { toast(error.message, 'error'); }
  }

  async function doRerun() {
    const ok = await confirmDialog({ title: 'Run it again?', message: 'A new experiment starts with the same code and declaration. This one stays as it is.', confirm: 'Rerun' });
    if (!ok) return;
    try {
      const created = await api('POST', `/experiments/${enc(id)}/rerun`);
      toast('New run started');
      navigate(`#/experiments/${encodeURIComponent(created.id)}`);
    } catch (error) { toast(error.message, 'error'); }
  }

  async function doArchive() {
    const archiving = !exp.archived;
    const ok = await confirmDialog(archiving
      ? { title: 'Archive this experiment?', message: 'It leaves the experiments list (turn on “Show archived” to see it). Nothing is deleted.', confirm: 'Archive' }
      : { title: 'Unarchive this experiment?', message: 'It comes back to the experiments list.', confirm: 'Unarchive' });
    if (!ok) return;
    try {
      exp = { ...exp, ...(await api('POST', `/experiments/${enc(id)}/archive`, archiving ? undefined : { archived: false })) };
      toast(archiving ? 'Archived' : 'Unarchived');
      drawHeader();
    } catch (error) { toast(error.message, 'error'); }
  }

  async function doDelete() {
    const ok = await confirmDialog({ title: `Delete “${exp.name}”?`, message: 'Its trials, metrics, logs and results are deleted for good. A running experiment is canceled first. This cannot be undone.', confirm: 'Delete for good', danger: true });
    if (!ok) return;
    try {
      await api('DELETE', `/experiments/${enc(id)}`);
      toast('Experiment deleted');
      navigate('#/');
    } catch (error) { toast(error.message, 'error'); }
  }

  // ---- trials ------------------------------------------------------------
  const paramNames = Object.keys(declaredParams).length ? groupAware(declaredParams) : [];
  function groupAware(declared) {
    // A group parameter's trials show its members' names.
    const names = [];
    for (const [name, p] of Object.entries(declared)) {
      if (p && p.type === 'group' && Array.isArray(p.values) && p.values[0] && typeof p.values[0] === 'object') names.push(...Object.keys(p.values[0]));
      else names.push(name);
    }
    return names;
  }
  const metricNames = () => {
    const names = new Set(objective?.metric ? [objective.metric] : []);
    for (const t of state.trials.values()) for (const k of Object.keys(t.metrics || {})) names.add(k);
    return [...names];
  };
  const columnsOfParams = () => {
    if (paramNames.length) return paramNames;
    const first = state.trials.values().next().value;
    return first?.parameters ? Object.keys(first.parameters) : [];
  };

  const trialsPanel = h('div', { id: 'panel-trials', role: 'tabpanel', 'aria-labelledby': 'tab-trials' });
  const statusSelect = h('select', { id: 'trial-status-filter' });
  const textFilter = h('input', { type: 'search', id: 'trial-filter', placeholder: 'Filter: lr=0.01, adam, …', autocomplete: 'off' });
  const tableSlot = h('div', { class: 'table-wrap', id: 'trials-wrap' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Trial pages' });
  const tableNote = h('p', { class: 'muted small', id: 'trials-note', 'aria-live': 'polite' });
  put(trialsPanel, 
    h('div', { class: 'toolbar' },
      h('div', { class: 'field field-inline' }, h('label', { for: statusSelect.id }, 'Status'), statusSelect),
      h('div', { class: 'field field-search' }, h('label', { for: textFilter.id, class: 'sr-only' }, 'Filter trials by parameter'), textFilter),
      tableNote),
    tableSlot, pager);
  statusSelect.addEventListener('change', () => { state.statusFilter = statusSelect.value; state.page = 0; drawTable(); });
  textFilter.addEventListener('input', () => { state.textFilter = textFilter.value.trim().toLowerCase(); state.page = 0; drawTable(); });

  function drawStatusOptions() {
    const value = statusSelect.value;
    fill(statusSelect, h('option', { value: '' }, `All (${state.trials.size.toLocaleString()})`),
      ...TRIAL_STATES.filter((s) => s !== 'pending').map((s) => {
        const n = [...state.trials.values()].filter((t) => t.status === s).length;
        return h('option', { value: s }, `${statusLabel(s)} (${n.toLocaleString()})`);
      }));
    statusSelect.value = value;
  }

  function durationOf(t) {
    const last = Array.isArray(t.attempts) && t.attempts.length ? t.attempts[t.attempts.length - 1] : null;
    if (t.seconds !== undefined) return t.seconds;
    if (last && typeof last.seconds === 'number') return last.seconds;
    if (last && last.leasedAt && t.status === 'running') return (Date.now() - new Date(last.leasedAt).getTime()) / 1000;
    return null;
  }

  function sortValue(t, key) {
    if (key === 'index') return t.index;
    if (key === 'status') return TRIAL_STATES.indexOf(t.status);
    if (key === 'attempts') return t.attempts ? t.attempts.length : 0;
    if (key === 'duration') return durationOf(t);
    if (key.startsWith('p:')) { const v = t.parameters?.[key.slice(2)]; const n = Number(v); return v === undefined ? null : Number.isFinite(n) && v !== '' ? n : v; }
    if (key.startsWith('m:')) { const v = t.metrics?.[key.slice(2)]; return typeof v === 'number' ? v : v ?? null; }
    return null;
  }

  function visibleTrials() {
    let list = [...state.trials.values()];
    if (state.statusFilter) list = list.filter((t) => t.status === state.statusFilter);
    if (state.textFilter) {
      const terms = state.textFilter.split(/[\s,]+/).filter(Boolean);
      list = list.filter((t) => {
        const hay = Object.entries(t.parameters || {}).map(([k, v]) => `${k}=${v}`.toLowerCase()).join(' ');
        return terms.every((term) => hay.includes(term) || String(t.index) === term);
      });
    }
    const { key, dir } = state.sort;
    list.sort((a, b) => {
      const x = sortValue(a, key), y = sortValue(b, key);
      if (x === null || x === undefined) return y === null || y === undefined ? a.index - b.index : 1;
      if (y === null || y === undefined) return -1;
      if (typeof x === 'number' && typeof y === 'number') return (x - y) * dir || a.index - b.index;
      return String(x).localeCompare(String(y), undefined, { numeric: true }) * dir || a.index - b.index;
    });
    return list;
  }

  function th(label, key, extra = {}) {
    const active = state.sort.key === key;
    return h('th', { scope: 'col', 'aria-sort': active ? (state.sort.dir === 1 ? 'ascending' : 'descending') : 'none', ...extra },
      h('button', {
        type: 'button', class: 'sort', dataset: { sort: key },
        onclick: () => {
          state.sort = active ? { key, dir: -state.sort.dir } : { key, dir: 1 };
          state.page = 0;
          drawTable();
          tableSlot.querySelector(`button[data-sort="${CSS.escape(key)}"]`)?.focus();
        },
      }, label, h('span', { class: 'sort-icon', 'aria-hidden': 'true' }, active ? (state.sort.dir === 1 ? '▲' : '▼') : '↕')));
  }

  /** Where focus is inside the table, to put it back after a redraw (live updates redraw often). */
  function focusKey() {
    const el = document.activeElement;
    if (!el || !tableSlot.contains(el)) return null;
    if (el.dataset.sort) return `button[data-sort="${CSS.escape(el.dataset.sort)}"]`;
    const row = el.closest('tr[data-trial]');
    if (row) return `tr[data-trial="${row.dataset.trial}"] ${el.tagName.toLowerCase()}`;
    return null;
  }

  function drawTable() {
    const refocus = focusKey();
    drawStatusOptions();
    const list = visibleTrials();
    const pages = Math.max(1, Math.ceil(list.length / PAGE_SIZE));
    state.page = Math.min(state.page, pages - 1);
    const slice = list.slice(state.page * PAGE_SIZE, (state.page + 1) * PAGE_SIZE);
    const pcols = columnsOfParams();
    const mcols = metricNames();
    if (!state.trials.size) {
      fill(tableSlot, h('p', { class: 'muted empty-inline' }, FINAL.has(exp.status) ? 'No trial ran.' : 'No trial has started yet. Trials appear here as Runners lease them.'));
    } else {
      fill(tableSlot, h('table', { class: 'table trials', id: 'trials-table' },
        h('caption', { class: 'sr-only' }, 'Trials; select up to 8 to plot their metrics over steps'),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col', class: 'col-plot' }, h('span', { class: 'sr-only' }, 'Plot')),
          th('#', 'index'), th('Status', 'status'), th('Attempts', 'attempts'), th('Duration', 'duration'),
          pcols.map((p) => th(p, `p:${p}`, { class: 'col-param' })),
          mcols.map((m) => th(m, `m:${m}`, { class: m === objective?.metric ? 'col-metric col-objective' : 'col-metric' })),
          h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Logs')))),
        h('tbody', {}, slice.map((t) => h('tr', { dataset: { trial: t.index, status: t.status } },
          h('td', { class: 'col-plot' }, h('input', {
            type: 'checkbox', checked: state.plotted.has(t.index), 'aria-label': `Plot trial ${t.index}`,
            onchange: (event) => togglePlot(t.index, event.target.checked, event.target),
          })),
          h('td', { class: 'num' }, String(t.index)),
          h('td', { title: reasonOf(t) ?? '' }, statusChip(t.status),
            t.status === 'stopped_early' && reasonOf(t) ? h('div', { class: 'trial-reason muted small' }, reasonOf(t)) : null),
          h('td', { class: 'num' }, String(t.attempts ? t.attempts.length : t.attempt || 0)),
          h('td', { class: 'num nowrap' }, fmtDuration(durationOf(t))),
          pcols.map((p) => h('td', { class: 'mono' }, t.parameters?.[p] ?? '—')),
          mcols.map((m) => h('td', { class: 'num mono' }, fmtNumber(t.metrics?.[m]))),
          h('td', {}, h('button', { type: 'button', class: 'btn btn-small', 'aria-label': `Logs of trial ${t.index}`, onclick: () => openLogs(t.index) }, 'Logs')))))));
    }
    clear(pager);
    if (list.length > PAGE_SIZE) {
      const pageInput = h('input', { type: 'number', min: 1, max: pages, value: state.page + 1, class: 'page-input', 'aria-label': 'Page number', id: 'trial-page' });
      pageInput.addEventListener('change', () => { state.page = Math.max(0, Math.min(pages - 1, Number(pageInput.value) - 1 || 0)); drawTable(); });
      put(pager, 
        h('button', { type: 'button', class: 'btn', disabled: state.page === 0, onclick: () => { state.page -= 1; drawTable(); } }, '← Previous'),
        h('span', {}, 'Page ', pageInput, ` of ${pages.toLocaleString()}`),
        h('button', { type: 'button', class: 'btn', disabled: state.page >= pages - 1, onclick: () => { state.page += 1; drawTable(); } }, 'Next →'));
    }
    if (refocus) tableSlot.querySelector(refocus)?.focus({ preventScroll: true });
    const start = list.length ? state.page * PAGE_SIZE + 1 : 0;
    tableNote.textContent = list.length
      ? `Showing ${start.toLocaleString()}–${(start + slice.length - 1).toLocaleString()} of ${list.length.toLocaleString()}${list.length !== state.trials.size ? ` (filtered from ${state.trials.size.toLocaleString()})` : ''}${state.loadedAll ? '' : ' · loading…'}`
      : (state.trials.size ? 'No trial matches the filter.' : '');
  }
  const drawTableSoon = throttle(() => { if (state.tab === 'trials') drawTable(); else if (state.tab === 'charts') drawCharts(); }, 700);

  function merge(items) {
    for (const t of items) {
      const known = state.trials.get(t.index);
      state.trials.set(t.index, known && known.seconds !== undefined && t.status === known.status ? { ...t, seconds: known.seconds } : t);
    }
  }

  async function fetchTrials(extra, offset) {
    const q = new URLSearchParams({ limit: String(FETCH_LIMIT), offset: String(offset), ...extra });
    return (await api('GET', `/experiments/${enc(id)}/trials?${q}`)).items;
  }

  async function loadAllTrials() {
    let offset = 0;
    state.loadedAll = false;
    for (;;) {
      const items = await fetchTrials({}, offset);
      if (state.stopped) return;
      merge(items);
      offset += items.length;
      drawTableSoon();
      if (items.length < FETCH_LIMIT || offset >= MAX_LOADED) break;
    }
    state.loadedAll = true;
    drawTableSoon();
  }

  /** While running: newly leased trials and the running ones, at most every 2 s. */
  const refreshTrials = throttle(async () => {
    if (state.stopped || !state.loadedAll) return;
    try {
      const [running, fresh] = await Promise.all([
        fetchTrials({ status: 'running' }, 0),
        fetchTrials({}, Math.max(0, state.trials.size - 20)),
      ]);
      merge(running);
      merge(fresh);
      drawTableSoon();
    } catch { /* the next event retries */ }
  }, 2000);

  // ---- charts ------------------------------------------------------------
  const chartsPanel = h('div', { id: 'panel-charts', role: 'tabpanel', 'aria-labelledby': 'tab-charts', hidden: true });
  const scatterParam = h('select', { id: 'chart-param' });
  const scatterMetric = h('select', { id: 'chart-metric' });
  const scatterSlot = h('div', { class: 'chart-slot', id: 'scatter-slot' });
  const lineMetric = h('select', { id: 'line-metric' });
  const lineSlot = h('div', { class: 'chart-slot', id: 'line-slot' });
  const lineNote = h('p', { class: 'muted small', id: 'line-note' });
  const bestSlot = h('div', { class: 'chart-slot', id: 'best-slot' });
  put(chartsPanel, 
    h('section', { class: 'chart-card' },
      h('div', { class: 'chart-head' }, h('h2', {}, 'Objective against a parameter'),
        h('div', { class: 'chart-controls' },
          h('label', { for: scatterMetric.id }, 'Metric'), scatterMetric,
          h('label', { for: scatterParam.id }, 'against'), scatterParam)),
      scatterSlot),
    h('section', { class: 'chart-card' },
      h('div', { class: 'chart-head' }, h('h2', {}, 'A metric over steps'),
        h('div', { class: 'chart-controls' }, h('label', { for: lineMetric.id }, 'Metric'), lineMetric)),
      lineNote, lineSlot),
    h('section', { class: 'chart-card' },
      h('div', { class: 'chart-head' }, h('h2', {}, 'Best so far')),
      bestSlot));
  scatterParam.addEventListener('change', () => drawScatter());
  scatterMetric.addEventListener('change', () => drawScatter());
  lineMetric.addEventListener('change', () => drawLines());

  function fillSelect(select, names, preferred) {
    const value = select.value || preferred || names[0] || '';
    fill(select, ...names.map((n) => h('option', { value: n }, n)));
    if (names.includes(value)) select.value = value;
  }

  function drawCharts() {
    const pcols = columnsOfParams();
    const varied = pcols.filter((p) => new Set([...state.trials.values()].map((t) => t.parameters?.[p])).size > 1);
    fillSelect(scatterParam, varied.length ? varied : pcols);
    fillSelect(scatterMetric, metricNames(), objective?.metric);
    drawScatter();
    drawLines();
    drawBest();
  }

  /** The objective of each finished trial by index, and the best found up to it: how the search converges. */
  function drawBest() {
    clear(bestSlot);
    if (!objective) { put(bestSlot, h('p', { class: 'muted' }, 'The declaration names no objective.')); return; }
    const metric = objective.metric, maximize = objective.goal === 'maximize';
    const done = [...state.trials.values()].filter((t) => typeof t.metrics?.[metric] === 'number' && Number.isFinite(t.metrics[metric]))
      .sort((a, b) => a.index - b.index);
    if (!done.length) { put(bestSlot, h('p', { class: 'muted' }, `No trial has reported ${metric} yet.`)); return; }
    let best = null;
    const steps = [], values = [], running = [];
    for (const t of done) {
      const v = t.metrics[metric];
      best = best === null || (maximize ? v > best : v < best) ? v : best;
      steps.push(t.index); values.push(v); running.push(best);
    }
    const svg = lineChart({
      series: [{ name: `${metric} of each trial`, steps, values, color: 1 }, { name: `best ${metric} so far`, steps, values: running, color: 0 }],
      xLabel: 'trial', yLabel: metric,
    });
    put(bestSlot, svg, legend([{ name: `${metric} of each trial`, color: 1 }, { name: `best so far (${maximize ? 'highest' : 'lowest'})`, color: 0 }]));
    const stopped = done.filter((t) => t.status === 'stopped_early').length;
    if (stopped) put(bestSlot, h('p', { class: 'muted small' }, `${plural(stopped, 'trial')} stopped early count with the best ${metric} they reached.`));
  }

  /** Why a trial ended as it did (its last attempt's reason), for stopped-early and failed trials. */
  function reasonOf(t) {
    if (t.reason) return t.reason;
    const last = Array.isArray(t.attempts) && t.attempts.length ? t.attempts[t.attempts.length - 1] : null;
    return last?.reason ?? null;
  }

  function bestIndex(metric) {
    const goal = objective && objective.metric === metric ? objective.goal : 'minimize';
    let best = null;
    for (const t of state.trials.values()) {
      const v = t.metrics?.[metric];
      if (typeof v !== 'number' || !isFinite(v)) continue;
      if (best === null || (goal === 'maximize' ? v > best.v : v < best.v)) best = { i: t.index, v };
    }
    return best?.i ?? null;
  }

  function drawScatter() {
    const param = scatterParam.value, metric = scatterMetric.value;
    clear(scatterSlot);
    if (!param || !metric) { put(scatterSlot, h('p', { class: 'muted' }, 'Nothing to plot yet: no trial has reported a metric.')); return; }
    const best = bestIndex(metric);
    const points = [...state.trials.values()].filter((t) => t.metrics && typeof t.metrics[metric] === 'number').map((t) => {
      const raw = t.parameters?.[param];
      const n = Number(raw);
      return { x: raw !== undefined && raw !== '' && Number.isFinite(n) ? n : String(raw ?? '—'), y: t.metrics[metric], label: `Trial ${t.index}`, trial: t.index, best: t.index === best };
    });
    const declared = declaredParams[param];
    const svg = scatterChart({ points, xLabel: param, yLabel: metric, log: declared?.scale === 'log' });
    put(scatterSlot, svg || h('p', { class: 'muted' }, `No trial has reported ${metric} yet.`));
    if (svg && best !== null) {
      const t = state.trials.get(best);
      put(scatterSlot, h('p', { class: 'small' }, `Best so far: trial ${best}, ${metric} ${fmtNumber(t.metrics[metric])} (${Object.entries(t.parameters || {}).map(([k, v]) => `${k}=${v}`).join(', ')}).`));
    }
  }

  function togglePlot(index, on, checkbox) {
    if (on && state.plotted.size >= MAX_PLOTTED) {
      checkbox.checked = false;
      toast(`At most ${MAX_PLOTTED} trials at once`, 'error');
      return;
    }
    if (on) state.plotted.add(index); else state.plotted.delete(index);
    if (on) loadSeries(index);
    else state.series.delete(index);
  }

  async function loadSeries(index) {
    try {
      const data = await api('GET', `/experiments/${enc(id)}/trials/${index}/metrics`);
      const byName = {};
      for (const s of data.series || []) byName[s.name] = { steps: [...s.steps], values: [...s.values] };
      state.series.set(index, byName);
    } catch (error) {
      state.series.set(index, { __error: error.message });
    }
    if (state.tab === 'charts') drawLines();
  }

  function plottedTrials() {
    if (state.plotted.size) return [...state.plotted];
    // Nothing chosen: the best few by the objective.
    const metric = objective?.metric;
    if (!metric) return [];
    const goal = objective.goal === 'maximize' ? -1 : 1;
    return [...state.trials.values()].filter((t) => typeof t.metrics?.[metric] === 'number')
      .sort((a, b) => (a.metrics[metric] - b.metrics[metric]) * goal).slice(0, 3).map((t) => t.index);
  }

  function drawLines() {
    const chosen = plottedTrials();
    for (const i of chosen) if (!state.series.has(i)) { state.series.set(i, null); loadSeries(i); }
    const loaded = chosen.map((i) => [i, state.series.get(i)]).filter(([, s]) => s);
    const failed = loaded.find(([, s]) => s.__error);
    const names = [...new Set(loaded.flatMap(([, s]) => Object.keys(s).filter((k) => k !== '__error')))];
    fillSelect(lineMetric, names, objective?.metric);
    lineNote.textContent = state.plotted.size
      ? `Trials ${[...state.plotted].join(', ')} (tick or untick them in the Trials table).`
      : chosen.length ? `The best ${chosen.length === 1 ? 'trial' : `${chosen.length} trials`} so far; tick trials in the Trials table to choose others.` : 'Tick trials in the Trials table to plot their metrics.';
    clear(lineSlot);
    if (failed && !names.length) { put(lineSlot, h('p', { class: 'error-text' }, `Metrics over steps are not available: ${failed[1].__error}`)); return; }
    const metric = lineMetric.value;
    const series = loaded.filter(([, s]) => s[metric]).map(([i, s], n) => ({ name: `Trial ${i}`, color: n % PALETTE_SIZE, steps: s[metric].steps, values: s[metric].values }));
    const svg = metric ? lineChart({ series, xLabel: 'step', yLabel: metric }) : null;
    if (svg) put(lineSlot, svg, legend(series));
    else put(lineSlot, h('p', { class: 'muted' }, chosen.length ? 'No metric points for these trials yet.' : 'No trial has reported metrics yet.'));
  }
  const drawLinesSoon = throttle(() => { if (state.tab === 'charts') drawLines(); }, 1000);

  // ---- logs ----------------------------------------------------------------
  const logPanel = h('aside', { class: 'log-panel', id: 'log-panel', hidden: true, 'aria-labelledby': 'log-title' });
  const logTitle = h('h2', { id: 'log-title' });
  const logPre = h('pre', { class: 'log', id: 'log-lines', tabindex: '0', 'aria-live': 'off' });
  const logNote = h('p', { class: 'muted small' });
  put(logPanel, h('div', { class: 'log-head' }, logTitle,
    h('button', { type: 'button', class: 'btn btn-icon', 'aria-label': 'Close logs', onclick: closeLogs }, '×')), logNote, logPre);

  async function openLogs(index) {
    state.logTrial = index;
    logPanel.hidden = false;
    logTitle.textContent = `Logs of trial ${index}`;
    logNote.textContent = 'Loading…';
    clear(logPre);
    try {
      const { lines } = await api('GET', `/experiments/${enc(id)}/trials/${index}/logs?limit=${LOG_LINES}`);
      if (state.logTrial !== index) return;
      clear(logPre);
      appendLog(lines.map((l) => ({ ...l })), true);
      const t = state.trials.get(index);
      const following = t && !FINAL.has(exp.status) && t.status === 'running';
      logNote.textContent = `${lines.length >= LOG_LINES ? `The last ${LOG_LINES} lines` : 'The whole log so far'}${following ? ', following live' : ''}; the full logs are in bundle.zip.`;
    } catch (error) {
      logNote.textContent = error.message;
    }
    logPanel.querySelector('button').focus();
  }

  function appendLog(lines, force) {
    const atBottom = force || logPre.scrollTop + logPre.clientHeight >= logPre.scrollHeight - 8;
    for (const line of lines) {
      put(logPre, h('span', { class: `log-line log-${line.stream}`, dataset: { attempt: line.attempt } }, line.text, '\n'));
    }
    while (logPre.childNodes.length > LOG_KEEP) logPre.removeChild(logPre.firstChild);
    if (atBottom) logPre.scrollTop = logPre.scrollHeight;
  }

  function closeLogs() {
    state.logTrial = null;
    logPanel.hidden = true;
  }

  // ---- declaration ---------------------------------------------------------
  const declPanel = h('div', { id: 'panel-declaration', role: 'tabpanel', 'aria-labelledby': 'tab-declaration', hidden: true },
    h('pre', { class: 'code-block', id: 'declaration-text' }, declaration && /^\s*\{/.test(exp.declaration) ? emitYaml(declaration) : exp.declaration),
    h('p', { class: 'muted small' }, 'As submitted (JSON shown as YAML). Code: artifact ', h('code', {}, exp.artifact || '—'), '.'));

  // ---- tabs ------------------------------------------------------------------
  const tabDefs = [['trials', 'Trials', trialsPanel], ['charts', 'Charts', chartsPanel], ['declaration', 'Declaration', declPanel]];
  const tabButtons = tabDefs.map(([key, label]) => h('button', {
    type: 'button', role: 'tab', id: `tab-${key}`, class: 'tab', 'aria-controls': `panel-${key}`,
    onclick: () => selectTab(key),
  }, label));
  const tabList = h('div', { role: 'tablist', class: 'tabs', 'aria-label': 'Experiment views' }, tabButtons);
  tabList.addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft') return;
    const i = tabDefs.findIndex(([k]) => k === state.tab);
    const next = tabDefs[(i + (event.key === 'ArrowRight' ? 1 : tabDefs.length - 1)) % tabDefs.length][0];
    selectTab(next);
    document.getElementById(`tab-${next}`).focus();
  });
  function selectTab(key) {
    state.tab = key;
    setQuery({ tab: key === 'trials' ? '' : key });
    tabDefs.forEach(([k, , panel], i) => {
      panel.hidden = k !== key;
      tabButtons[i].setAttribute('aria-selected', String(k === key));
      tabButtons[i].tabIndex = k === key ? 0 : -1;
    });
    if (key === 'trials') drawTable();
    if (key === 'charts') drawCharts();
  }

  // ---- live updates ------------------------------------------------------------
  function connect() {
    if (FINAL.has(exp.status)) { liveDot.textContent = 'final'; liveDot.className = 'live-dot live-final'; return; }
    source = new EventSource(`/api/v1/experiments/${enc(id)}/events`);
    source.onopen = () => { liveDot.textContent = 'live'; liveDot.className = 'live-dot live-on'; };
    source.onerror = () => {
      if (state.stopped) return;
      if (source.readyState === EventSource.CLOSED) {
        liveDot.textContent = 'polling';
        liveDot.className = 'live-dot live-off';
        poll();
      } else {
        liveDot.textContent = 'reconnecting…';
        liveDot.className = 'live-dot live-off';
      }
    };
    source.addEventListener('experiment', (event) => {
      const data = JSON.parse(event.data);
      const wasFinal = FINAL.has(exp.status);
      exp = { ...exp, status: data.status, reason: data.reason, counts: data.counts };
      recordProgress();
      drawHeader();
      refreshTrials();
      if (FINAL.has(data.status) && !wasFinal) finished();
    });
    source.addEventListener('trial', (event) => {
      const data = JSON.parse(event.data);
      const t = state.trials.get(data.trial);
      if (t) state.trials.set(data.trial, { ...t, status: data.status, attempt: data.attempt, metrics: data.metrics || t.metrics, seconds: data.seconds, reason: data.reason });
      else refreshTrials();
      drawTableSoon();
    });
    source.addEventListener('metrics', (event) => {
      const data = JSON.parse(event.data);
      const series = state.series.get(data.trial);
      if (!series || series.__error) return;
      for (const [name, values] of Object.entries(data.metrics || {})) {
        const s = series[name] || (series[name] = { steps: [], values: [] });
        s.steps.push(...data.steps);
        s.values.push(...values);
      }
      drawLinesSoon();
    });
    source.addEventListener('log', (event) => {
      const data = JSON.parse(event.data);
      if (data.trial !== state.logTrial) return;
      appendLog(data.lines.map((text) => ({ attempt: data.attempt, stream: data.stream, text })));
    });
  }

  async function finished() {
    if (source) { source.close(); source = null; }
    liveDot.textContent = 'final';
    liveDot.className = 'live-dot live-final';
    try {
      exp = { ...exp, ...(await api('GET', `/experiments/${enc(id)}`)) };
      drawHeader();
      await loadAllTrials();
    } catch { /* the page still shows the last state */ }
  }

  async function poll() {
    if (state.stopped || FINAL.has(exp.status)) return;
    try {
      exp = { ...exp, ...(await api('GET', `/experiments/${enc(id)}`)) };
      recordProgress();
      drawHeader();
      refreshTrials();
      if (FINAL.has(exp.status)) { finished(); return; }
    } catch { /* try again */ }
    timers.push(setTimeout(poll, 3000));
  }

  // ---- page --------------------------------------------------------------------
  put(root, h('section', { class: 'page experiment-page' },
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/' }, 'Experiments'), h('span', { 'aria-hidden': 'true' }, ' / ')),
    h('header', { class: 'exp-head card' },
      h('div', { class: 'exp-title-row' }, title, statusSlot, badges, liveDot),
      exp.description ? h('p', { class: 'exp-desc' }, exp.description) : null,
      exp.tags?.length ? h('div', { class: 'tags' }, exp.tags.map((t) => h('a', { class: 'tag', href: `#/?tag=${encodeURIComponent(t)}` }, t))) : null,
      meta, reason,
      h('div', { class: 'exp-live' }, progressSlot, h('div', { class: 'exp-live-text' }, progressText, countsSlot)),
      actions, share),
    tabList, trialsPanel, chartsPanel, declPanel, logPanel));
  drawHeader();
  recordProgress();
  selectTab(state.tab);
  connect();
  timers.push(setInterval(() => { if (!FINAL.has(exp.status)) drawProgress(); }, 5000));
  loadAllTrials().catch((error) => { tableNote.textContent = error.message; });

  return () => {
    state.stopped = true;
    if (source) source.close();
    timers.forEach((t) => { clearTimeout(t); clearInterval(t); });
  };
}
