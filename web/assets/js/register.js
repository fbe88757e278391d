// Sign-up page: POST /api/users, then on to the login page.

import { api } from '/js/api.js';
import { initPage, showError, clearMessages, whileBusy } from '/js/ui.js';

const form = document.getElementById('register-form');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearMessages();
  const body = {
    email: form.email.value.trim(),
    nickname: form.nickname.value.trim(),
    password: form.password.value,
    confirmPassword: form.confirmPassword.value,
  };
  const missing = ['email', 'nickname', 'password', 'confirmPassword'].find((k) => !body[k]);
  if (missing) {
    showError('모든 항목을 입력해 주세요.');
    form[missing].focus();
    return;
  }
  if (body.password !== body.confirmPassword) {
    showError('패스워드가 패스워드 확인란과 다릅니다.');
    form.confirmPassword.select();
    return;
  }
  const button = form.querySelector('button[type="submit"]');
  try {
    await whileBusy(button, '가입하는 중…', () => api('/api/users', { method: 'POST', body }));
    location.assign('/?registered=1');
  } catch (err) {
    showError(err);
  }
});

initPage();
