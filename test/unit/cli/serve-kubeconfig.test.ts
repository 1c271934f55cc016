// The UI server's Cluster tab reads the kubeconfig of the lab that runs under its prefix, whatever
// the lab is called (`npm start` builds lab `article`; there is no lab `default`).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labKubeconfig, parseServeArgs } from '../../../cli/commands/serve.js';

const base = mkdtempSync(join(tmpdir(), 'kw-serve-'));
after(() => rmSync(base, { recursive: true, force: true }));

function lab(name: string, prefix: string, kubeconfig?: string) {
  mkdirSync(join(base, name), { recursive: true });
  writeFileSync(join(base, name, 'state.json'), JSON.stringify({ prefix }));
  if (kubeconfig)
    writeFileSync(join(base, name, 'cluster.json'), JSON.stringify({ pid: 1, url: 'https://127.0.0.1:1', kubeconfig }));
}

test('the running lab of the prefix gives the kubeconfig, found by prefix, not by the name "default"', () => {
  lab('article', 'kw-', '/x/article/apiserver/admin.kubeconfig');
  lab('other', 'kw-other-');
  assert.equal(labKubeconfig('kw-', base), '/x/article/apiserver/admin.kubeconfig');
  assert.equal(labKubeconfig('kw-other-', base), join(base, 'other', 'apiserver', 'admin.kubeconfig'));
  assert.equal(
    parseServeArgs(['--prefix', 'kw-'], 'serve', { KUBEWIRE_STATE_DIR: base }).kubeconfig,
    '/x/article/apiserver/admin.kubeconfig',
  );
  assert.equal(parseServeArgs(['--kubeconfig', '/k'], 'serve', { KUBEWIRE_STATE_DIR: base }).kubeconfig, '/k');
});
