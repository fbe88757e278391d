// Sign-up, login, errors from the server, logout.

import assert from 'node:assert/strict';
import test from 'node:test';
import { TEST_TIMEOUT, expectURL, newUser, openBrowser } from './support.mjs';

test('sign-up, then login, shows the user; wrong input shows the server message', { timeout: TEST_TIMEOUT }, async (t) => {
  const { page, dialogs, pageErrors, consoleErrors } = await openBrowser(t);
  const user = newUser();

  await page.goto('/register.html');
  await page.getByLabel('이메일').fill(user.email);
  await page.getByLabel('닉네임').fill(user.nickname);
  await page.getByLabel('비밀번호', { exact: true }).fill(user.password);
  await page.getByLabel('비밀번호 확인').fill(`${user.password}x`);
  await page.getByRole('button', { name: '회원가입' }).click();
  await page.locator('#flash .alert-error').filter({ hasText: '패스워드가 패스워드 확인란과 다릅니다.' }).waitFor();

  await page.getByLabel('비밀번호 확인').fill(user.password);
  await page.getByRole('button', { name: '회원가입' }).click();
  await expectURL(page, (u) => u.pathname === '/' && u.searchParams.has('registered'));
  await page.locator('#flash .alert-success').waitFor();

  // The same e-mail again is refused with the contract's message.
  await page.goto('/register.html');
  await page.getByLabel('이메일').fill(user.email);
  await page.getByLabel('닉네임').fill(newUser().nickname);
  await page.getByLabel('비밀번호', { exact: true }).fill(user.password);
  await page.getByLabel('비밀번호 확인').fill(user.password);
  await page.getByRole('button', { name: '회원가입' }).click();
  await page.locator('#flash .alert-error').filter({ hasText: '이메일 또는 닉네임이 이미 사용중입니다.' }).waitFor();

  await page.goto('/');
  await page.getByLabel('이메일').fill(user.email);
  await page.getByLabel('비밀번호').fill('not-the-password');
  await page.getByRole('button', { name: '로그인' }).last().click();
  await page.locator('#flash .alert-error').filter({ hasText: '이메일 또는 패스워드가 틀렸습니다.' }).waitFor();
  assert.equal(await page.locator('#flash').getAttribute('aria-live'), 'assertive');

  await page.getByLabel('비밀번호').fill(user.password);
  await page.getByRole('button', { name: '로그인' }).last().click();
  await expectURL(page, (u) => u.pathname === '/goods.html');
  await page.locator('[data-account] .who', { hasText: user.nickname }).waitFor();

  // A signed-in visitor of the login page goes on to the shop.
  await page.goto('/');
  await expectURL(page, (u) => u.pathname === '/goods.html');

  assert.deepEqual(dialogs, [], 'got dialogs, want none');
  assert.deepEqual(pageErrors, [], 'got page errors, want none');
  assert.deepEqual(consoleErrors, [], 'got console errors, want none');
});

test('a hostile nickname is refused and shown as text', { timeout: TEST_TIMEOUT }, async (t) => {
  const { page, dialogs } = await openBrowser(t);
  const user = newUser();
  await page.goto('/register.html');
  await page.getByLabel('이메일').fill(user.email);
  await page.getByLabel('닉네임').fill('<img src=x onerror=alert(1)>');
  await page.getByLabel('비밀번호', { exact: true }).fill(user.password);
  await page.getByLabel('비밀번호 확인').fill(user.password);
  await page.getByRole('button', { name: '회원가입' }).click();
  await page.locator('#flash .alert-error').waitFor();
  assert.equal(await page.locator('#flash img').count(), 0, 'got an <img> in the message region, want text only');
  assert.deepEqual(dialogs, [], 'got dialogs, want none');
});

test('logout ends the session; protected pages then send the visitor to login', { timeout: TEST_TIMEOUT }, async (t) => {
  const { page, context } = await openBrowser(t);
  const user = newUser();
  let res = await context.request.post('/api/users', { data: { ...user, confirmPassword: user.password } });
  assert.equal(res.status(), 201);

  await page.goto('/?next=%2Fcart.html');
  await page.getByLabel('이메일').fill(user.email);
  await page.getByLabel('비밀번호').fill(user.password);
  await page.getByRole('button', { name: '로그인' }).last().click();
  // The login page returns the visitor to the page that sent them.
  await expectURL(page, (u) => u.pathname === '/cart.html');
  await page.locator('#cart-empty').waitFor();

  await page.getByRole('button', { name: '로그아웃' }).click();
  await expectURL(page, (u) => u.pathname === '/');
  res = await context.request.get('/api/users/me');
  assert.equal(res.status(), 401, `GET /api/users/me after logout: got ${res.status()}, want 401`);

  for (const path of ['/cart.html', '/order.html', '/orders.html']) {
    await page.goto(path);
    await expectURL(page, (u) => u.pathname === '/' && u.searchParams.get('next') === path);
  }
  // Pages that need no user stay open to a signed-out visitor.
  await page.goto('/goods.html');
  await page.locator('[data-account] a', { hasText: '로그인' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/goods.html');
});
