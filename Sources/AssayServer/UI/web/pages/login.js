import { api } from '../api.js';
import { h, put } from '../dom.js';

export async function render(root, _params, query, { session, navigate }) {
  document.title = 'Log in · Assay';
  const username = h('input', { id: 'login-username', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const error = h('p', { class: 'form-error', role: 'alert', id: 'login-error', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Log in');
  const form = h('form', { class: 'card login-card', novalidate: true, 'aria-describedby': 'login-error' },
    h('h1', {}, 'Log in to Assay'),
    h('p', { class: 'muted' }, 'Experiments, sweeps and their results, live.'),
    h('div', { class: 'field' }, h('label', { for: username.id }, 'Username'), username),
    h('div', { class: 'field' }, h('label', { for: password.id }, 'Password'), password),
    error, submit);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    if (!username.value.trim() || !password.value) {
      error.textContent = 'Enter your username and password.';
      error.hidden = false;
      (username.value.trim() ? password : username).focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = 'Logging in…';
    try {
      session.me = await api('POST', '/auth/login', { username: username.value.trim(), password: password.value }, { quiet401: true });
      const next = query.next && query.next.startsWith('#/') && !query.next.startsWith('#/login') ? query.next : '#/';
      navigate(next, { replace: true });
    } catch (e) {
      error.textContent = e.message;
      error.hidden = false;
      password.select();
      password.focus();
    } finally {
      submit.disabled = false;
      submit.textContent = 'Log in';
    }
  });
  put(root, h('section', { class: 'login-wrap' }, form));
  username.focus();
}
