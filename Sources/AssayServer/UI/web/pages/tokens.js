import { api, enc } from '../api.js';
import { h, clear, fmtDate, confirmDialog, copyText, toast, put, fill } from '../dom.js';

export async function render(root) {
  document.title = 'API tokens · Assay';
  const list = h('div', { class: 'token-list', 'aria-live': 'polite' });
  const revealed = h('div', { class: 'token-reveal-slot' });
  const name = h('input', { id: 'token-name', name: 'name', maxlength: 100, required: true, placeholder: 'laptop CLI', autocomplete: 'off' });
  const error = h('p', { class: 'field-error', id: 'token-name-error', hidden: true });
  name.setAttribute('aria-describedby', 'token-name-error');
  const form = h('form', { class: 'inline-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: name.id }, 'Token name'), name, error),
    h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create token'));

  async function load() {
    const { tokens } = await api('GET', '/tokens');
    clear(list);
    if (!tokens.length) {
      put(list, h('p', { class: 'muted' }, 'No API tokens yet. Create one for the assay CLI or a script.'));
      return;
    }
    put(list, h('table', { class: 'table' },
      h('caption', { class: 'sr-only' }, 'Your API tokens'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Created'), h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
      h('tbody', {}, tokens.map((token) => h('tr', { dataset: { token: token.id } },
        h('td', {}, token.name),
        h('td', {}, fmtDate(token.createdAt)),
        h('td', { class: 'actions' }, h('button', {
          type: 'button', class: 'btn btn-danger-ghost', 'aria-label': `Revoke token ${token.name}`,
          onclick: async () => {
            const ok = await confirmDialog({ title: `Revoke “${token.name}”?`, message: 'Programs using this token will be refused from now on. This cannot be undone.', confirm: 'Revoke token', danger: true });
            if (!ok) return;
            try {
              await api('DELETE', `/tokens/${enc(token.id)}`);
              toast(`Token “${token.name}” revoked`);
              await load();
            } catch (e) { toast(e.message, 'error'); }
          },
        }, 'Revoke')))))));
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    name.removeAttribute('aria-invalid');
    const value = name.value.trim();
    if (!value) {
      error.textContent = 'Give the token a name, such as where it will be used.';
      error.hidden = false;
      name.setAttribute('aria-invalid', 'true');
      name.focus();
      return;
    }
    try {
      const created = await api('POST', '/tokens', { name: value });
      name.value = '';
      const secret = h('input', { class: 'mono token-value', readonly: true, value: created.token, 'aria-label': 'New token', id: 'new-token' });
      fill(revealed, h('div', { class: 'callout callout-success', role: 'status' },
        h('h2', {}, `Token “${created.name}” created`),
        h('p', {}, h('strong', {}, 'Copy it now: '), 'this is the only time it is shown. Only its hash is stored.'),
        h('div', { class: 'copy-row' }, secret, h('button', { type: 'button', class: 'btn', onclick: () => copyText(created.token, secret) }, 'Copy')),
        h('p', { class: 'muted' }, 'Use it as ', h('code', {}, 'ASSAY_TOKEN'), ' or with ', h('code', {}, 'assay login'), '.')));
      secret.focus();
      secret.select();
      await load();
    } catch (e) {
      error.textContent = e.fields?.[0]?.message ? `Name ${e.fields[0].message}` : e.message;
      error.hidden = false;
      name.setAttribute('aria-invalid', 'true');
    }
  });

  put(root, h('section', { class: 'page narrow' },
    h('header', { class: 'page-head' }, h('div', {}, h('h1', {}, 'API tokens'),
      h('p', { class: 'muted' }, 'Tokens let the assay CLI and scripts act as you. Revoke any you no longer use.'))),
    h('div', { class: 'card' }, form, revealed),
    h('div', { class: 'card' }, h('h2', {}, 'Your tokens'), list)));
  await load();
}
