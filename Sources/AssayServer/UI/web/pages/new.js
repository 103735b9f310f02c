// New experiment: upload the code, declare the sweep (form or YAML, kept in
// sync), see the trial count and the problems live, submit.

import { api, upload } from '../api.js';
import { h, clear, fmtBytes, plural, debounce, put, fill } from '../dom.js';
import { zipFiles, filesOfEntry, filesOfDirectoryInput, readZipEntry, sha256Hex, isExcluded } from '../zip.js';
import { parseYaml, emitYaml, resolvePlain } from '../yaml.js';
import { KINDS, STRATEGIES, starterDeclaration, trialCount, validate, domainSize, splitArgs, joinArgs } from '../declaration.js';

const DECLARATION_NAMES = ['assay.yaml', 'assay.yml', 'assay.json'];
const FORM_KEYS = new Set(['name', 'description', 'tags', 'artifact', 'setup', 'command', 'parameters', 'sweep', 'trial', 'objective', 'workers', 'notify']);
let draft = null;  // the declaration survives a visit to another page

export async function render(root, _params, _query, { navigate }) {
  document.title = 'New experiment · Assay';
  const state = {
    decl: draft || starterDeclaration(),
    mode: 'form',
    artifact: null,
    uploading: false,
    yamlError: null,
    serverErrors: [],
    found: null,       // assay.yaml text found in the upload
    controller: null,
  };

  // ---- upload ------------------------------------------------------------
  const zipInput = h('input', { type: 'file', accept: '.zip,application/zip', id: 'zip-input', class: 'visually-hidden', tabindex: '-1', 'aria-label': 'Zip file of the code' });
  const dirInput = h('input', { type: 'file', id: 'dir-input', class: 'visually-hidden', tabindex: '-1', multiple: true, 'aria-label': 'Folder of the code' });
  dirInput.webkitdirectory = true;
  const uploadStatus = h('div', { class: 'upload-status', 'aria-live': 'polite', id: 'upload-status' });
  const artifactError = h('p', { class: 'field-error', id: 'artifact-error', hidden: true });
  const dropZone = h('div', { class: 'dropzone', id: 'dropzone', dataset: { path: 'artifact' } },
    h('div', { class: 'dropzone-icon', 'aria-hidden': 'true' }, '⇪'),
    h('p', { class: 'dropzone-title' }, 'Drop a .zip or a folder here'),
    h('p', { class: 'muted small' }, 'A folder is zipped in your browser (', h('code', {}, '.git'), ', ', h('code', {}, '__pycache__'), ' left out). Same bytes as before? The server keeps one copy.'),
    h('div', { class: 'dropzone-actions' },
      h('button', { type: 'button', class: 'btn', onclick: () => zipInput.click() }, 'Choose a .zip'),
      h('button', { type: 'button', class: 'btn', onclick: () => dirInput.click() }, 'Choose a folder')),
    zipInput, dirInput);
  dropZone.setAttribute('aria-describedby', 'artifact-error');

  function setUploadView(...children) { fill(uploadStatus, ...children); }

  async function takeFiles(files, label) {
    if (!files.length) { setUploadView(h('p', { class: 'error-text', role: 'alert' }, 'That folder holds no files to upload.')); return; }
    const zipBar = progressEl('Zipping');
    setUploadView(h('p', {}, `Zipping ${label}: ${plural(files.length, 'file')}…`), zipBar.el);
    try {
      const blob = await zipFiles(files, { onProgress: (done, total) => zipBar.set(done / total) });
      const yaml = files.find((f) => DECLARATION_NAMES.includes(f.path));
      await send(blob, `${label}.zip`, yaml ? await yaml.data.text() : null, files.length);
    } catch (error) {
      setUploadView(h('p', { class: 'error-text', role: 'alert' }, error.message));
    }
  }

  async function takeZip(file) {
    if (!/\.zip$/i.test(file.name) && file.type !== 'application/zip' && file.type !== 'application/x-zip-compressed') {
      setUploadView(h('p', { class: 'error-text', role: 'alert' }, `${file.name} is not a .zip file. Drop a .zip, or a folder to zip it here.`));
      return;
    }
    let found = null;
    try { found = await readZipEntry(file, DECLARATION_NAMES); } catch (error) {
      setUploadView(h('p', { class: 'error-text', role: 'alert' }, `${file.name}: ${error.message}`));
      return;
    }
    await send(file, file.name, found, null);
  }

  async function send(blob, name, foundYaml, fileCount) {
    if (state.controller) state.controller.abort();
    state.controller = new AbortController();
    state.uploading = true;
    state.artifact = null;
    state.found = foundYaml;
    updateSubmit();
    const bar = progressEl('Upload');
    const hashLine = h('p', { class: 'small' }, 'SHA-256: computing…');
    setUploadView(h('p', {}, h('strong', {}, name), ` · ${fmtBytes(blob.size)}${fileCount ? ` · ${plural(fileCount, 'file')}` : ''}`), bar.el, hashLine);
    const hashing = sha256Hex(blob).catch(() => null);
    try {
      const answer = await upload('/artifacts', blob, { onProgress: (loaded, total) => bar.set(total ? loaded / total : 0), signal: state.controller.signal });
      bar.set(1);
      const local = await hashing;
      state.artifact = answer.id;
      clearArtifactError();
      const match = local ? local === answer.sha256 : null;
      setUploadView(
        h('div', { class: 'upload-done' },
          h('p', {}, h('span', { class: 'ok-mark', 'aria-hidden': 'true' }, '✓ '), h('strong', {}, name), ` · ${fmtBytes(answer.size)}${fileCount ? ` · ${plural(fileCount, 'file')}` : ''}`),
          bar.el,
          answer.deduplicated
            ? h('p', { class: 'callout callout-info', id: 'dedup-notice' }, 'Already uploaded: you sent these exact bytes before, so the stored copy is reused (nothing new was stored).')
            : h('p', { class: 'muted small', id: 'upload-new' }, 'Uploaded and stored.'),
          h('dl', { class: 'kv small' },
            h('dt', {}, 'SHA-256'), h('dd', { class: 'mono', id: 'artifact-sha' }, answer.sha256,
              match === true ? h('span', { class: 'ok-text' }, ' (matches the hash computed in your browser)') : null,
              match === false ? h('span', { class: 'error-text' }, ` (your browser computed ${local}: the upload was altered on the way)`) : null),
            h('dt', {}, 'Artifact'), h('dd', { class: 'mono', id: 'artifact-id' }, answer.id))),
        state.found ? h('div', { class: 'callout' }, h('p', {}, 'The upload contains a declaration (assay.yaml).'),
          h('button', { type: 'button', class: 'btn', id: 'use-found', onclick: () => loadText(state.found) }, 'Use its declaration')) : null);
    } catch (error) {
      if (error.name === 'AbortError') return;
      setUploadView(h('p', { class: 'error-text', role: 'alert' }, `Upload failed: ${error.message}`),
        h('p', { class: 'small' }, 'SHA-256 of the file: ', h('span', { class: 'mono' }, (await hashing) || 'unavailable')));
    } finally {
      state.uploading = false;
      updateSubmit();
    }
  }

  zipInput.addEventListener('change', () => { if (zipInput.files[0]) takeZip(zipInput.files[0]); zipInput.value = ''; });
  dirInput.addEventListener('change', () => {
    const files = filesOfDirectoryInput(dirInput.files);
    const label = (dirInput.files[0]?.webkitRelativePath || 'folder').split('/')[0];
    dirInput.value = '';
    takeFiles(files, label);
  });
  dropZone.addEventListener('dragover', (event) => { event.preventDefault(); dropZone.classList.add('dragging'); });
  dropZone.addEventListener('dragleave', () => dropZone.classList.remove('dragging'));
  dropZone.addEventListener('drop', async (event) => {
    event.preventDefault();
    dropZone.classList.remove('dragging');
    const items = [...(event.dataTransfer.items || [])].filter((i) => i.kind === 'file');
    const entries = items.map((i) => (i.webkitGetAsEntry ? i.webkitGetAsEntry() : null)).filter(Boolean);
    const files = [...(event.dataTransfer.files || [])];
    if (entries.length === 1 && entries[0].isDirectory) {
      takeFiles(await filesOfEntry(entries[0]), entries[0].name);
    } else if (files.length === 1 && /\.zip$/i.test(files[0].name)) {
      takeZip(files[0]);
    } else if (entries.length) {
      const all = [];
      for (const entry of entries) {
        if (entry.isDirectory) all.push(...(await filesOfEntry(entry)).map((f) => ({ ...f, path: `${entry.name}/${f.path}` })));
        else if (!isExcluded(entry.name)) { const file = await new Promise((res, rej) => entry.file(res, rej)); all.push({ path: entry.name, data: file, lastModified: file.lastModified }); }
      }
      takeFiles(all, all.length === 1 ? all[0].path : 'files');
    } else if (files.length) {
      // Loose files (no folder structure): zipped side by side.
      const all = files.filter((f) => !isExcluded(f.name)).map((f) => ({ path: f.name, data: f, lastModified: f.lastModified }));
      takeFiles(all, all.length === 1 ? all[0].path : 'files');
    }
  });

  function progressEl(label) {
    const fill = h('div', { class: 'progress-fill' });
    const el = h('div', { class: 'progress', role: 'progressbar', 'aria-label': label, 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': 0, id: `${label.toLowerCase()}-progress` }, fill);
    return { el, set: (f) => { const pct = Math.round(Math.min(1, f) * 100); fill.style.width = `${pct}%`; el.setAttribute('aria-valuenow', pct); } };
  }

  function clearArtifactError() {
    artifactError.hidden = true;
    dropZone.classList.remove('invalid');
    state.serverErrors = state.serverErrors.filter((e) => e.path !== 'artifact');
  }

  // ---- declaration: form <-> object <-> YAML -------------------------------------
  const count = h('p', { class: 'trial-count', id: 'trial-count', 'aria-live': 'polite', 'aria-describedby': 'trial-count-error' });
  const countError = h('p', { class: 'field-error', id: 'trial-count-error', hidden: true });
  const summary = h('div', { class: 'error-summary', id: 'error-summary', role: 'alert', hidden: true });
  const formPanel = h('div', { id: 'panel-form', role: 'tabpanel', 'aria-labelledby': 'tab-form' });
  const yamlText = h('textarea', { id: 'yaml-text', class: 'code', spellcheck: 'false', rows: 22, autocapitalize: 'off', 'aria-describedby': 'yaml-hint yaml-error' });
  const yamlError = h('p', { class: 'field-error', id: 'yaml-error', hidden: true });
  const yamlPanel = h('div', { id: 'panel-yaml', role: 'tabpanel', 'aria-labelledby': 'tab-yaml', hidden: true },
    h('label', { for: yamlText.id, class: 'sr-only' }, 'Declaration as YAML'),
    yamlText,
    h('p', { class: 'hint', id: 'yaml-hint' }, 'assay.yaml as text; JSON works too. Comments are not kept when you switch back to the form.'),
    yamlError);
  const tabForm = h('button', { type: 'button', role: 'tab', id: 'tab-form', 'aria-controls': 'panel-form', 'aria-selected': 'true', class: 'tab' }, 'Form');
  const tabYaml = h('button', { type: 'button', role: 'tab', id: 'tab-yaml', 'aria-controls': 'panel-yaml', 'aria-selected': 'false', class: 'tab', tabindex: '-1' }, 'YAML');
  const tabs = h('div', { role: 'tablist', class: 'tabs', 'aria-label': 'Edit the declaration as' }, tabForm, tabYaml);

  function setMode(mode) {
    if (mode === state.mode) return;
    if (mode === 'form' && state.yamlError) {
      yamlText.focus();
      return;
    }
    state.mode = mode;
    tabForm.setAttribute('aria-selected', String(mode === 'form'));
    tabYaml.setAttribute('aria-selected', String(mode === 'yaml'));
    tabForm.tabIndex = mode === 'form' ? 0 : -1;
    tabYaml.tabIndex = mode === 'yaml' ? 0 : -1;
    formPanel.hidden = mode !== 'form';
    yamlPanel.hidden = mode !== 'yaml';
    if (mode === 'form') renderForm();
    else yamlText.value = emitYaml(state.decl);
    refresh();
  }
  tabForm.addEventListener('click', () => setMode('form'));
  tabYaml.addEventListener('click', () => setMode('yaml'));
  tabs.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowRight' || event.key === 'ArrowLeft') {
      const next = state.mode === 'form' ? 'yaml' : 'form';
      setMode(next);
      (next === 'form' ? tabForm : tabYaml).focus();
    }
  });

  yamlText.addEventListener('input', debounce(() => {
    try {
      const value = parseYaml(yamlText.value);
      if (value !== null && (typeof value !== 'object' || Array.isArray(value))) {
        throw new Error('the declaration must be a mapping of fields (name: …, command: […], parameters: …)');
      }
      state.decl = value === null ? {} : value;
      state.yamlError = null;
      yamlError.hidden = true;
      yamlText.removeAttribute('aria-invalid');
    } catch (error) {
      state.yamlError = error.message;
      yamlError.textContent = `Not valid YAML: ${error.message}`;
      yamlError.hidden = false;
      yamlText.setAttribute('aria-invalid', 'true');
    }
    state.serverErrors = [];
    refresh();
  }, 200));

  function loadText(text) {
    try {
      const value = parseYaml(text);
      state.decl = value && typeof value === 'object' && !Array.isArray(value) ? value : {};
      state.yamlError = null;
      yamlError.hidden = true;
      yamlText.value = emitYaml(state.decl);
      if (state.mode === 'form') renderForm();
      refresh();
    } catch (error) {
      setMode('yaml');
      yamlText.value = text;
      state.yamlError = error.message;
      yamlError.textContent = `Not valid YAML: ${error.message}`;
      yamlError.hidden = false;
      refresh();
    }
  }

  /** Called after every change: YAML text, count, problems, draft. */
  function refresh() {
    draft = state.decl;
    if (state.mode === 'form') yamlText.value = emitYaml(state.decl);
    const counted = state.yamlError ? { count: null, text: 'Fix the YAML to count the trials.' } : trialCount(state.decl);
    count.textContent = counted.text;
    count.classList.toggle('muted', counted.count === null);
    showErrors();
    updateSubmit();
  }

  function currentErrors() {
    if (state.yamlError) return [{ path: '', message: `YAML: ${state.yamlError}` }];
    const all = [...validate(state.decl)];
    for (const e of state.serverErrors) if (!all.some((a) => a.path === e.path && a.message === e.message)) all.push(e);
    return all;
  }

  /** The control for a path: the exact field, else the nearest enclosing one. */
  function targetOf(path) {
    let p = path;
    for (;;) {
      if (p === 'artifact') return dropZone;
      if (p === 'sweep') return count;  // the plan as a whole (too many trials): at the count
      const el = state.mode === 'form' && p ? formPanel.querySelector(`[data-path="${CSS.escape(p)}"]`) : null;
      if (el) return el;
      if (!p) return null;
      p = p.replace(/\[\d+\]$/, '') === p ? p.split('.').slice(0, -1).join('.') : p.replace(/\[\d+\]$/, '');
    }
  }

  function showErrors() {
    const errors = currentErrors();
    for (const el of formPanel.querySelectorAll('.field-error')) { el.hidden = true; el.textContent = ''; }
    for (const el of formPanel.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    artifactError.hidden = true;
    countError.hidden = true;
    countError.textContent = '';
    dropZone.classList.remove('invalid');
    const loose = [];
    for (const error of errors) {
      const target = targetOf(error.path);
      if (!target) { loose.push(error); continue; }
      const slot = target === dropZone ? artifactError : target === count ? countError : document.getElementById(`${target.id}-error`);
      if (!slot) { loose.push(error); continue; }
      const exact = target.dataset.path === error.path || target === dropZone || target === count;
      const text = exact ? sentence(error.message) : describeAt(target.dataset.path, error);
      slot.textContent = slot.textContent ? `${slot.textContent} ${text}` : text;
      slot.hidden = false;
      if (target === dropZone) dropZone.classList.add('invalid');
      else if (target !== count) target.setAttribute('aria-invalid', 'true');
    }
    clear(summary);
    if (errors.length && (loose.length || state.mode === 'yaml' || state.submitted)) {
      summary.hidden = false;
      put(summary, h('p', {}, h('strong', {}, errors.length === 1 ? '1 problem' : `${errors.length} problems`), ' to fix before submitting:'),
        h('ul', {}, (state.mode === 'yaml' ? errors : loose.length ? loose : errors).map((e) => h('li', { dataset: { path: e.path } },
          e.path ? h('code', {}, e.path) : null, e.path ? ': ' : null, e.message))));
    } else {
      summary.hidden = true;
    }
    return errors;
  }

  /** An error below the field it shows at: "Argument 4: unknown placeholder {depth}". */
  function describeAt(fieldPath, error) {
    const item = fieldPath && error.path.startsWith(fieldPath) ? /^\[(\d+)\]$/.exec(error.path.slice(fieldPath.length)) : null;
    if (!item) return `${error.path}: ${error.message}`;
    const last = fieldPath.split('.').pop();
    const noun = { command: 'Argument', setup: 'Argument', values: 'Value', tags: 'Tag', email: 'Address' }[last] || 'Item';
    return `${noun} ${Number(item[1]) + 1}: ${error.message}`;
  }

  function sentence(text) { return `${text.charAt(0).toUpperCase()}${text.slice(1)}${/[.!?)]$/.test(text) ? '' : '.'}`; }

  /** A change by the user at `path`: their server error there is answered. */
  function edited(path) {
    state.serverErrors = state.serverErrors.filter((e) => !(e.path === path || e.path.startsWith(`${path}.`) || e.path.startsWith(`${path}[`)));
    refresh();
  }

  // Form building blocks. Every control carries data-path (its field path) and an id; its
  // error slot is the element with id `<id>-error` (made by field()).
  let uid = 0;
  function control(tag, path, attrs = {}) {
    const el = h(tag, { id: `f${++uid}`, ...attrs });
    el.dataset.path = path;
    return el;
  }
  function field(label, el, hint, className) {
    const err = h('p', { class: 'field-error', id: `${el.id}-error`, hidden: true });
    const hintEl = hint ? h('p', { class: 'hint', id: `${el.id}-hint` }, hint) : null;
    el.setAttribute('aria-describedby', [hintEl?.id, err.id].filter(Boolean).join(' '));
    return h('div', { class: ['field', className] }, h('label', { for: el.id }, label), el, hintEl, err);
  }
  function setIn(path, value) {
    // path like "sweep.strategy": creates parents, deletes empty values and empty parents.
    const keys = path.split('.');
    let obj = state.decl;
    const parents = [];
    for (const key of keys.slice(0, -1)) {
      if (typeof obj[key] !== 'object' || obj[key] === null || Array.isArray(obj[key])) {
        if (value === undefined) return;
        obj[key] = {};
      }
      parents.push([obj, key]);
      obj = obj[key];
    }
    const last = keys[keys.length - 1];
    if (value === undefined) delete obj[last];
    else obj[last] = value;
    for (let i = parents.length - 1; i >= 0; i--) {
      const [parent, key] = parents[i];
      if (Object.keys(parent[key]).length === 0) delete parent[key];
    }
  }
  function getIn(path) {
    return path.split('.').reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), state.decl);
  }
  const scalarOf = (text) => (text.trim() === '' ? undefined : resolvePlain(text.trim()));
  const listOf = (text) => (text.trim() === '' ? undefined : text.split(',').map((s) => s.trim()).filter((s) => s !== '').map(resolvePlain));
  const listText = (v) => (Array.isArray(v) ? v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(', ') : v === undefined ? '' : String(v));
  const text = (v) => (v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

  /** A text input bound to a declaration path. */
  function bound(path, { read = (v) => text(v), write = (t) => (t.trim() === '' ? undefined : t), attrs = {} } = {}) {
    const el = control('input', path, { value: read(getIn(path)), autocomplete: 'off', ...attrs });
    el.addEventListener('input', () => { setIn(path, write(el.value)); edited(path); });
    return el;
  }
  function boundSelect(path, options, { empty = null, onchange } = {}) {
    const current = getIn(path);
    const el = control('select', path, {},);
    if (empty !== null) put(el, h('option', { value: '' }, empty));
    for (const o of options) put(el, h('option', { value: o, selected: String(current) === o }, o));
    if (current === undefined && empty !== null) el.value = '';
    el.addEventListener('change', () => {
      setIn(path, el.value === '' ? undefined : resolvePlain(el.value));
      edited(path);
      if (onchange) onchange();
    });
    return el;
  }

  function renderForm() {
    const d = state.decl;
    // A redraw (strategy changed, YAML edited) keeps focus on the same field.
    const keep = document.activeElement && formPanel.contains(document.activeElement) ? document.activeElement.dataset.path : null;
    clear(formPanel);
    const extra = Object.keys(d).filter((k) => !FORM_KEYS.has(k));
    const numeric = { read: text, write: scalarOf, attrs: { inputmode: 'decimal' } };

    const params = h('div', { class: 'params', id: 'params' });
    const paramEntries = d.parameters && typeof d.parameters === 'object' && !Array.isArray(d.parameters) ? Object.keys(d.parameters) : [];
    for (const name of paramEntries) put(params, paramRow(name));
    const strategy = (d.sweep && d.sweep.strategy) || 'grid';

    put(formPanel, 
      h('fieldset', {}, h('legend', {}, 'About'),
        h('div', { class: 'grid-2' },
          field('Name', bound('name', { attrs: { required: true, maxlength: 200 } })),
          field('Tags', bound('tags', { read: listText, write: (t) => { const v = listOf(t); return v && v.map(String); } }), 'Comma-separated, such as vision, baseline')),
        field('Description', bound('description'), null, 'field-wide')),
      h('fieldset', {}, h('legend', {}, 'Run'),
        field('Command', bound('command', { read: (v) => (Array.isArray(v) ? joinArgs(v) : text(v)), write: (t) => (t.trim() ? splitArgs(t) : undefined), attrs: { class: 'mono', spellcheck: 'false' } }),
          'Run in the code\'s folder for each trial, no shell. Placeholders: {name} of a parameter, {trial}, {repeat}, {config}.', 'field-wide'),
        h('div', { class: 'grid-3' },
          field('Setup (optional)', bound('setup', { read: (v) => (Array.isArray(v) ? joinArgs(v) : text(v)), write: (t) => (t.trim() ? splitArgs(t) : undefined), attrs: { class: 'mono', spellcheck: 'false', placeholder: 'pip install -r requirements.txt' } }), 'Once per Runner, before any trial'),
          field('Workers', bound('workers', { ...numeric, attrs: { inputmode: 'numeric', placeholder: '1' } }), 'Trials run in parallel'),
          field('Timeout per trial', bound('trial.timeout', { write: (t) => (t.trim() === '' ? undefined : t.trim()), attrs: { placeholder: 'none', class: 'mono' } }), 'Such as 90s, 10m or 1h30m'))),
      h('fieldset', {}, h('legend', {}, 'Parameters'),
        params,
        h('button', { type: 'button', class: 'btn', id: 'add-param', onclick: addParam }, '+ Add parameter')),
      h('fieldset', {}, h('legend', {}, 'Sweep and objective'),
        h('div', { class: 'grid-3' },
          field('Strategy', boundSelect('sweep.strategy', STRATEGIES, { onchange: renderForm }), strategy === 'one-at-a-time' ? 'Each parameter varied alone, the others at their default' : strategy === 'random' ? 'Independent random points' : 'Every combination'),
          field('Repeats', bound('sweep.repeats', { ...numeric, attrs: { inputmode: 'numeric', placeholder: '1' } }), 'Runs of each point'),
          strategy === 'random' ? field('Samples', bound('sweep.samples', { ...numeric, attrs: { inputmode: 'numeric' } })) : h('div'),
          field('Objective metric', bound('objective.metric', { attrs: { placeholder: 'loss', class: 'mono' } }), 'A metric your code prints as @assay {"loss": …}'),
          field('Goal', boundSelect('objective.goal', ['minimize', 'maximize'], { empty: '—' })),
          field('Retries', bound('trial.retries', { ...numeric, attrs: { inputmode: 'numeric', placeholder: '0' } }), 'Extra attempts of a failed trial')),
        field('E-mail when done', bound('notify.email', { read: listText, write: (t) => { const v = listOf(t); return v && v.map(String); }, attrs: { type: 'text', autocomplete: 'email', placeholder: 'me@example.org' } }), 'Comma-separated addresses', 'field-wide')),
      extra.length ? h('p', { class: 'hint' }, 'Also declared (edit in the YAML view): ', extra.map((k, i) => [i ? ', ' : '', h('code', {}, k)])) : null);
    if (keep) formPanel.querySelector(`[data-path="${CSS.escape(keep)}"]`)?.focus();
  }

  /** Redraws a parameter's row, focus staying on the control with the same label. */
  function redrawRow(row, name) {
    const label = document.activeElement && row.contains(document.activeElement) ? document.activeElement.getAttribute('aria-label') || document.activeElement.dataset.path : null;
    const fresh = paramRow(name);
    row.replaceWith(fresh);
    if (label) [...fresh.querySelectorAll('input, select')].find((el) => el.getAttribute('aria-label') === label || el.dataset.path === label)?.focus();
  }

  function paramRow(name) {
    const base = `parameters.${name}`;
    const p = state.decl.parameters[name];
    const obj = p && typeof p === 'object' && !Array.isArray(p) ? p : {};
    const row = h('div', { class: 'param-row', dataset: { param: name } });
    const nameInput = control('input', base, { value: name, class: 'mono', autocomplete: 'off', spellcheck: 'false', 'aria-label': 'Parameter name' });
    // Deferred: change fires while focus is leaving, and the rename redraws the form, so
    // wait until focus has landed to know where to put it back.
    nameInput.addEventListener('change', () => setTimeout(() => rename(name, nameInput.value.trim()), 0));
    const type = control('select', `${base}.type`, { 'aria-label': `Type of ${name}` });
    for (const k of KINDS) put(type, h('option', { value: k, selected: obj.type === k }, k));
    if (!KINDS.includes(obj.type)) { type.prepend(h('option', { value: '', selected: true }, '—')); }
    type.addEventListener('change', () => {
      const t = type.value;
      const fresh = { type: t };
      if (t === 'int' || t === 'float') Object.assign(fresh, { values: obj.type === t ? obj.values : undefined, min: obj.min ?? 0, max: obj.max ?? (t === 'int' ? 10 : 1) });
      if (t === 'int' && obj.values === undefined) fresh.step = 1;
      if (t === 'float' && obj.values === undefined) fresh.count = 5;
      if (t === 'choice') fresh.values = Array.isArray(obj.values) && obj.values.every((v) => typeof v !== 'object') ? obj.values : ['a', 'b'];
      if (t === 'const') fresh.value = obj.value ?? obj.default ?? 1;
      if (t === 'group') fresh.values = [{ a: 1, b: 2 }, { a: 3, b: 4 }];
      for (const k of Object.keys(fresh)) if (fresh[k] === undefined) delete fresh[k];
      if ((t === 'int' || t === 'float') && fresh.values) { delete fresh.min; delete fresh.max; }
      state.decl.parameters[name] = fresh;
      edited(base);
      redrawRow(row, name);
    });
    const remove = h('button', { type: 'button', class: 'btn btn-icon', 'aria-label': `Remove parameter ${name}`, title: 'Remove', onclick: () => {
      delete state.decl.parameters[name];
      if (!Object.keys(state.decl.parameters).length) delete state.decl.parameters;
      edited(base);
      const next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      (next ? next.querySelector('input') : formPanel.querySelector('#add-param'))?.focus();
    } }, '×');

    const size = domainSize(obj);
    const sizeText = size === undefined ? '' : size === null ? 'continuous' : plural(size, 'value');
    const sizeEl = h('span', { class: 'param-size muted small', dataset: { sizeFor: name } }, sizeText);
    const fields = h('div', { class: 'param-fields' });
    const p2 = (key) => `${base}.${key}`;
    const numeric = { read: text, write: scalarOf, attrs: { inputmode: 'decimal', class: 'short' } };
    const small = (label, el, cls) => field(label, el, null, ['field-compact', cls]);

    if (obj.type === 'int' || obj.type === 'float') {
      const mode = obj.values !== undefined ? 'values' : 'range';
      const modeSelect = h('select', { id: `f${++uid}`, 'aria-label': `How ${name} is spread` },
        h('option', { value: 'range', selected: mode === 'range' }, 'range'), h('option', { value: 'values', selected: mode === 'values' }, 'values'));
      modeSelect.addEventListener('change', () => {
        const np = { type: obj.type };
        if (modeSelect.value === 'values') np.values = obj.type === 'int' ? [1, 2, 3] : [0.1, 0.2, 0.3];
        else Object.assign(np, obj.type === 'int' ? { min: 1, max: 3, step: 1 } : { min: 0, max: 1, count: 5 });
        if (obj.default !== undefined) np.default = obj.default;
        state.decl.parameters[name] = np;
        edited(base);
        redrawRow(row, name);
      });
      put(fields, small('Spread', modeSelect));
      if (mode === 'values') {
        put(fields, small('Values', bound(p2('values'), { read: listText, write: listOf, attrs: { class: 'mono', placeholder: '1, 2, 3' } }), 'field-grow'));
      } else {
        const spacing = obj.step !== undefined ? 'step' : obj.count !== undefined ? 'count' : 'none';
        const spacingSelect = h('select', { id: `f${++uid}`, 'aria-label': `Points of ${name}` },
          ...['step', 'count', 'none'].map((s) => h('option', { value: s, selected: spacing === s }, s === 'none' ? 'any (random)' : s)));
        spacingSelect.addEventListener('change', () => {
          delete obj.step; delete obj.count;
          if (spacingSelect.value === 'step') obj.step = obj.type === 'int' ? 1 : 0.1;
          if (spacingSelect.value === 'count') obj.count = 5;
          if (spacingSelect.value === 'step' && obj.scale === 'log') delete obj.scale;
          edited(base);
          redrawRow(row, name);
        });
        put(fields, 
          small('Min', bound(p2('min'), numeric)),
          small('Max', bound(p2('max'), numeric)),
          small('Points by', spacingSelect),
          spacing !== 'none' ? small(spacing === 'step' ? 'Step' : 'Count', bound(p2(spacing), numeric)) : null,
          small('Scale', boundSelect(p2('scale'), ['log'], { empty: 'linear' })));
      }
      put(fields, small('Default', bound(p2('default'), { ...numeric, attrs: { ...numeric.attrs, placeholder: '—' } })));
    } else if (obj.type === 'choice') {
      put(fields, 
        small('Values', bound(p2('values'), { read: listText, write: listOf, attrs: { class: 'mono', placeholder: 'adam, sgd' } }), 'field-grow'),
        small('Default', bound(p2('default'), { read: text, write: scalarOf, attrs: { class: 'short mono', placeholder: '—' } })));
    } else if (obj.type === 'bool') {
      put(fields, small('Default', boundSelect(p2('default'), ['true', 'false'], { empty: '—' })));
      put(fields, h('p', { class: 'muted small param-note' }, 'Takes false and true.'));
    } else if (obj.type === 'const') {
      put(fields, small('Value', bound(p2('value'), { read: text, write: scalarOf, attrs: { class: 'mono' } }), 'field-grow'));
    } else if (obj.type === 'group') {
      const keys = Array.isArray(obj.values) && obj.values[0] && typeof obj.values[0] === 'object' ? Object.keys(obj.values[0]) : [];
      const groupValues = control('input', p2('values'), { value: Array.isArray(obj.values) ? obj.values.map((v) => JSON.stringify(v)).join(', ') : '', readonly: true, class: 'mono' });
      put(fields, small('Entries', groupValues, 'field-grow'),
        h('p', { class: 'muted small param-note' }, `Sets ${keys.join(', ') || 'several values'} together. Edit the entries in the YAML view.`));
    }
    put(row, 
      h('div', { class: 'param-head' },
        h('div', { class: 'field field-compact' }, h('label', { for: nameInput.id }, 'Name'), nameInput, h('p', { class: 'field-error', id: `${nameInput.id}-error`, hidden: true })),
        h('div', { class: 'field field-compact' }, h('label', { for: type.id }, 'Type'), type, h('p', { class: 'field-error', id: `${type.id}-error`, hidden: true })),
        sizeEl, remove),
      fields);
    nameInput.setAttribute('aria-describedby', `${nameInput.id}-error`);
    type.setAttribute('aria-describedby', `${type.id}-error`);
    // Keep the "N values" note current as the row's fields change.
    row.addEventListener('input', () => {
      const s = domainSize(state.decl.parameters?.[row.dataset.param]);
      sizeEl.textContent = s === undefined ? '' : s === null ? 'continuous' : plural(s, 'value');
    });
    return row;
  }

  function rename(from, to) {
    if (to === from) return;
    const params = state.decl.parameters;
    if (!to || Object.prototype.hasOwnProperty.call(params, to)) {
      const row = formPanel.querySelector(`.param-row[data-param="${CSS.escape(from)}"]`);
      const input = row?.querySelector(`[data-path="${CSS.escape(`parameters.${from}`)}"]`);
      if (input) {
        input.value = from;
        const slot = document.getElementById(`${input.id}-error`);
        slot.textContent = !to ? 'A parameter needs a name.' : `There is already a parameter named ${to}.`;
        slot.hidden = false;
        input.focus();
      }
      return;
    }
    // Same position, new key (the order of parameters is the order of the plan).
    state.decl.parameters = Object.fromEntries(Object.entries(params).map(([k, v]) => [k === from ? to : k, v]));
    const command = state.decl.command;
    if (Array.isArray(command)) state.decl.command = command.map((a) => (typeof a === 'string' ? a.split(`{${from}}`).join(`{${to}}`) : a));
    // The change event fires as focus leaves the name: follow focus to where it went.
    const active = document.activeElement;
    const old = `parameters.${from}`;
    const where = active && formPanel.contains(active) ? active.dataset.path || null : null;
    const label = active && formPanel.contains(active) ? active.getAttribute('aria-label') : null;
    renderForm();
    edited(`parameters.${to}`);
    const path = where && (where === old || where.startsWith(`${old}.`)) ? `parameters.${to}${where.slice(old.length)}` : where;
    const target = path ? formPanel.querySelector(`[data-path="${CSS.escape(path)}"]`)
      : label ? formPanel.querySelector(`[aria-label="${CSS.escape(label.replace(from, to))}"]`) : null;
    target?.focus();
  }

  function addParam() {
    if (!state.decl.parameters || typeof state.decl.parameters !== 'object') state.decl.parameters = {};
    let n = Object.keys(state.decl.parameters).length + 1;
    while (Object.prototype.hasOwnProperty.call(state.decl.parameters, `p${n}`)) n++;
    const name = `p${n}`;
    state.decl.parameters[name] = { type: 'int', values: [1, 2, 3] };
    formPanel.querySelector('#params').append(paramRow(name));
    edited(`parameters.${name}`);
    formPanel.querySelector(`[data-path="parameters.${name}"]`)?.focus();
  }

  // ---- submit ------------------------------------------------------------
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-lg', id: 'submit' }, 'Submit experiment');
  const submitNote = h('p', { class: 'muted small', id: 'submit-note', 'aria-live': 'polite' });
  function updateSubmit() {
    submit.disabled = state.uploading || state.submitting;
    submitNote.textContent = state.uploading ? 'Waiting for the upload to finish…' : !state.artifact ? 'Upload the code first.' : '';
  }

  const form = h('form', { novalidate: true, class: 'new-form' });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    state.submitted = true;
    const errors = showErrors();
    if (!state.artifact) {
      artifactError.textContent = 'Upload the code first: drop a .zip or a folder above.';
      artifactError.hidden = false;
      dropZone.classList.add('invalid');
    }
    if (errors.length || !state.artifact) {
      const first = errors.length ? targetOf(errors[0].path) : dropZone;
      (first && first !== dropZone ? first : state.artifact ? summary : dropZone.querySelector('button'))?.focus();
      if (!first && errors.length) summary.setAttribute('tabindex', '-1'), summary.focus();
      return;
    }
    state.submitting = true;
    updateSubmit();
    submit.textContent = 'Submitting…';
    try {
      const created = await api('POST', '/experiments', { declaration: state.decl, artifact: state.artifact });
      draft = null;
      navigate(`#/experiments/${encodeURIComponent(created.id)}`);
    } catch (error) {
      if (error.fields && error.fields.length) {
        state.serverErrors = error.fields;
        const shown = showErrors();
        const first = targetOf(shown[0]?.path ?? '');
        if (first && first !== dropZone) first.focus();
        else { summary.setAttribute('tabindex', '-1'); summary.focus(); }
      } else {
        fill(summary, h('p', {}, error.message));
        summary.hidden = false;
      }
    } finally {
      state.submitting = false;
      submit.textContent = 'Submit experiment';
      updateSubmit();
    }
  });

  put(form, 
    h('section', { class: 'card' },
      h('h2', {}, h('span', { class: 'step' }, '1'), ' Code'),
      dropZone, artifactError, uploadStatus),
    h('section', { class: 'card' },
      h('div', { class: 'card-head' }, h('h2', {}, h('span', { class: 'step' }, '2'), ' Declaration'), tabs),
      count, countError, formPanel, yamlPanel),
    summary,
    h('div', { class: 'submit-bar' }, submit, submitNote));

  put(root, h('section', { class: 'page narrow-wide' },
    h('header', { class: 'page-head' }, h('div', {}, h('h1', {}, 'New experiment'),
      h('p', { class: 'muted' }, 'Upload the code, declare what to sweep, and submit. Trials start as soon as Runners are up.'))),
    form));
  renderForm();
  refresh();
  return () => { if (state.controller) state.controller.abort(); };
}
