// Login page (/): signs in with POST /api/auth, then returns the visitor to
// the page that sent them here (?next=) or to the goods list.

import { api } from '/js/api.js';
import { initPage, showError, showSuccess, clearMessages, whileBusy } from '/js/ui.js';

const params = new URLSearchParams(location.search);

// nextPage accepts only a path on this site, so a crafted link cannot send
// a freshly signed-in visitor to another site.
function nextPage() {
  const next = params.get('next') ?? '';
  return /^\/(?![/\\])/.test(next) ? next : '/goods.html';
}

const form = document.getElementById('login-form');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearMessages();
  const email = form.email.value.trim();
  const password = form.password.value;
  if (!email || !password) {
    showError('이메일과 비밀번호를 입력해 주세요.');
    (email ? form.password : form.email).focus();
    return;
  }
  const button = form.querySelector('button[type="submit"]');
  try {
    await whileBusy(button, '로그인 중…', () => api('/api/auth', { method: 'POST', body: { email, password } }));
    location.assign(nextPage());
  } catch (err) {
    showError(err);
    form.password.select();
  }
});

if (params.has('registered')) showSuccess('회원가입이 완료되었습니다. 로그인해 주세요.');

const user = await initPage();
if (user) location.replace(nextPage());
