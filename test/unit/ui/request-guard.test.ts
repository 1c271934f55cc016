import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestGuard, readCookie, type GuardInput } from '../../../server/request-guard.js';

const TOKEN = 'a'.repeat(64);
const guard = new RequestGuard(TOKEN, 4242);
const base: GuardInput = {
  host: '127.0.0.1:4242',
  origin: undefined,
  secFetchSite: undefined,
  cookie: undefined,
  tokenHeader: undefined,
  queryToken: null,
};
const page = { allowQueryToken: true, upgrade: false };
const api = { allowQueryToken: false, upgrade: false };
const ws = { allowQueryToken: false, upgrade: true };

test('the first page load may carry the token in the URL; later requests use the cookie', () => {
  assert.deepEqual(guard.check({ ...base, queryToken: TOKEN }, page), { allow: true, via: 'query' });
  assert.equal(guard.check({ ...base, queryToken: TOKEN }, api).allow, false);
  const cookie = guard.sessionCookie().split(';')[0]!;
  assert.deepEqual(guard.check({ ...base, cookie: `other=1; ${cookie}` }, api), { allow: true, via: 'cookie' });
  assert.match(guard.sessionCookie(), /HttpOnly; SameSite=Strict/);
});

test('no token, a wrong token or a wrong-length token is 401', () => {
  for (const input of [
    base,
    { ...base, queryToken: 'b'.repeat(64) },
    { ...base, tokenHeader: 'short' },
    { ...base, cookie: `${guard.cookieName}=${'c'.repeat(64)}` },
  ]) {
    const d = guard.check(input, page);
    assert.equal(d.allow, false);
    assert.equal(!d.allow && d.status, 401);
  }
});

test('a Host that is not our loopback address is refused even with the token (DNS rebinding)', () => {
  for (const host of ['evil.example:4242', '127.0.0.1:4243', '127.0.0.1', undefined, '0.0.0.0:4242']) {
    const d = guard.check({ ...base, host, tokenHeader: TOKEN }, api);
    assert.equal(d.allow, false, String(host));
    assert.equal(!d.allow && d.status, 403);
  }
  assert.equal(guard.check({ ...base, host: 'localhost:4242', tokenHeader: TOKEN }, api).allow, true);
});

test('a foreign Origin or a cross-site fetch is refused even with a valid cookie', () => {
  const cookie = guard.sessionCookie().split(';')[0]!;
  assert.equal(guard.check({ ...base, cookie, origin: 'http://evil.example' }, api).allow, false);
  assert.equal(guard.check({ ...base, cookie, origin: 'http://127.0.0.1:9999' }, api).allow, false);
  assert.equal(guard.check({ ...base, cookie, origin: 'null' }, api).allow, false);
  assert.equal(guard.check({ ...base, cookie, secFetchSite: 'cross-site' }, api).allow, false);
  assert.equal(
    guard.check({ ...base, cookie, origin: 'http://127.0.0.1:4242', secFetchSite: 'same-origin' }, api).allow,
    true,
  );
});

test('a WebSocket upgrade always needs our Origin, whether the token comes in the cookie or the header', () => {
  const cookie = guard.sessionCookie().split(';')[0]!;
  assert.equal(guard.check({ ...base, cookie }, ws).allow, false);
  assert.equal(guard.check({ ...base, cookie, origin: 'http://attacker.test' }, ws).allow, false);
  assert.equal(guard.check({ ...base, cookie, origin: 'http://127.0.0.1:4242' }, ws).allow, true);
  assert.equal(guard.check({ ...base, tokenHeader: TOKEN }, ws).allow, false);
  assert.equal(guard.check({ ...base, tokenHeader: TOKEN, origin: 'http://attacker.test' }, ws).allow, false);
  assert.equal(guard.check({ ...base, tokenHeader: TOKEN, origin: 'http://127.0.0.1:4242' }, ws).allow, true);
});

test('the token page may be opened from elsewhere (the desktop open file) only with the right token', () => {
  assert.deepEqual(guard.check({ ...base, queryToken: TOKEN, secFetchSite: 'cross-site' }, page), {
    allow: true,
    via: 'query',
  });
  assert.equal(guard.check({ ...base, queryToken: 'b'.repeat(64), secFetchSite: 'cross-site' }, page).allow, false);
  assert.equal(guard.check({ ...base, queryToken: TOKEN, secFetchSite: 'cross-site' }, api).allow, false);
  assert.equal(guard.check({ ...base, queryToken: TOKEN, origin: 'http://evil.example' }, page).allow, false);
});

test('readCookie finds one cookie among several', () => {
  assert.equal(readCookie('a=1; b=2;c=3', 'b'), '2');
  assert.equal(readCookie('a=1', 'b'), undefined);
  assert.equal(readCookie(undefined, 'b'), undefined);
});
