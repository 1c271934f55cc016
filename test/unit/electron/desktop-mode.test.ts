import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseDesktopMode, type DesktopEnvironment } from '../../../cli/commands/desktop-mode.js';

const base: DesktopEnvironment = {
  electronBinary: '/opt/electron/electron',
  display: ':0',
  uid: 0,
  sudoUid: '1000',
  sudoGid: '1000',
  opener: '/usr/bin/xdg-open',
};

test('with the binary and a display, under sudo: the window runs as the invoking user', () => {
  assert.deepEqual(chooseDesktopMode(base), {
    mode: 'electron',
    binary: '/opt/electron/electron',
    runAs: { uid: 1000, gid: 1000 },
  });
});

test('without the Electron binary: serve to a browser, opened as the invoking user when a display exists', () => {
  assert.deepEqual(chooseDesktopMode({ ...base, electronBinary: undefined }), {
    mode: 'browser',
    reason: 'the Electron binary is not installed',
    openWith: '/usr/bin/xdg-open',
    runAs: { uid: 1000, gid: 1000 },
  });
  assert.deepEqual(chooseDesktopMode({ ...base, electronBinary: undefined, display: undefined }), {
    mode: 'browser',
    reason: 'the Electron binary is not installed',
  });
});

test('no display, or plain root (would need --no-sandbox): print the URL', () => {
  assert.equal(chooseDesktopMode({ ...base, display: undefined }).mode, 'browser');
  const root = chooseDesktopMode({ ...base, sudoUid: undefined, sudoGid: undefined });
  assert.equal(root.mode, 'browser');
  assert.match((root as { reason: string }).reason, /--no-sandbox/);
  assert.equal(chooseDesktopMode({ ...base, sudoUid: '0' }).mode, 'browser');
  assert.equal(chooseDesktopMode({ ...base, sudoUid: '1000; rm' }).mode, 'browser');
});

test('a non-root user with the binary gets the window directly', () => {
  assert.deepEqual(chooseDesktopMode({ ...base, uid: 1000, sudoUid: undefined }), {
    mode: 'electron',
    binary: '/opt/electron/electron',
  });
});
