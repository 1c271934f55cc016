// Leaf certificates issued at the same time by one CA (nodes start several at a time) all succeed,
// verify against the CA and carry distinct serials: no shared serial file to race on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { ensurePki } from '../../../cluster/apiserver/pki.js';
import { ensureLeafCert } from '../../../cluster/apiserver/leaf-certs.js';

test(
  'eight kubelet serving certificates issued concurrently are valid and have distinct serials',
  { timeout: 60_000 },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'kubewire-leaf-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    await ensurePki(dir, ['IP:127.0.0.1']);
    const names = Array.from({ length: 8 }, (_, i) => `node${i + 1}`);
    await Promise.all(
      names.map((n) =>
        ensureLeafCert(dir, {
          dir: join(dir, n),
          name: 'kubelet',
          commonName: `system:node:${n}`,
          organizations: ['system:nodes'],
          usage: 'server',
          sans: [`DNS:${n}`, `IP:10.0.0.${names.indexOf(n) + 2}`],
        }),
      ),
    );
    const serials = new Set<string>();
    for (const n of names) {
      const crt = join(dir, n, 'kubelet.crt');
      const v = await execa('openssl', ['verify', '-CAfile', join(dir, 'ca.crt'), crt], { reject: false });
      assert.equal(v.exitCode, 0, v.stdout + v.stderr);
      serials.add((await execa('openssl', ['x509', '-in', crt, '-noout', '-serial'])).stdout);
    }
    assert.equal(serials.size, names.length);
  },
);
