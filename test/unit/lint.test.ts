// ESLint (typescript-eslint + the layer rule of scripts/eslint-layers.mjs) passes on the whole
// project, and the layer rule does catch imports that cross DESIGN.md's layers.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';
import { projectRoot } from '../../runtime/project-root.js';

const root = projectRoot();

test('eslint finds nothing in the project', { timeout: 300_000 }, async () => {
  const eslint = new ESLint({ cwd: root });
  const results = await eslint.lintFiles(['.']);
  const problems = results.flatMap((r) =>
    r.messages.map((m) => `${r.filePath.slice(root.length + 1)}:${m.line} ${m.ruleId}: ${m.message}`),
  );
  assert.ok(results.length > 300, `eslint looked at only ${results.length} files`);
  assert.deepEqual(problems, []);
});

async function layerErrors(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const [r] = await eslint.lintText(code, { filePath: join(root, file) });
  return r.messages.filter((m) => m.ruleId === 'layers/boundaries').map((m) => m.message);
}

test('the layer rule rejects imports that cross DESIGN.md layers', async () => {
  assert.equal(
    (await layerErrors('renderer/x.ts', "import { readFileSync } from 'node:fs';\nexport const y = readFileSync;\n"))
      .length,
    1,
  );
  assert.equal(
    (
      await layerErrors(
        'runtime/x.ts',
        "import { Kubelet } from '../cluster/agents/kubelet/kubelet.js';\nexport const y = Kubelet;\n",
      )
    ).length,
    1,
  );
  assert.equal(
    (await layerErrors('cluster/store/x.ts', "export { ApiServer } from '../apiserver/api-server.js';\n")).length,
    1,
  );
  assert.equal(
    (
      await layerErrors(
        'cluster/agents/x.ts',
        "const m = await import('../apiserver/api-server.js');\nexport const y = m;\n",
      )
    ).length,
    1,
  );
  assert.equal(
    (
      await layerErrors(
        'server/x.ts',
        "import { KubeClient } from '../cluster/client/kube-client.js';\nexport const y = KubeClient;\n",
      )
    ).length,
    0,
  );
  assert.equal(
    (
      await layerErrors(
        'cli/x.ts',
        "import { ApiServer } from '../cluster/apiserver/api-server.js';\nexport const y = ApiServer;\n",
      )
    ).length,
    0,
  );
});

test('every layer exception names a file that still exists', async () => {
  const { EXCEPTIONS } = (await import(join(root, 'scripts', 'eslint-layers.mjs'))) as {
    EXCEPTIONS: [string, string][];
  };
  for (const [importer] of EXCEPTIONS) {
    assert.ok(
      existsSync(join(root, importer)),
      `scripts/eslint-layers.mjs: exception for ${importer}, which no longer exists: remove it`,
    );
  }
});

test('node:child_process is imported only by runtime/host/spawn.ts (one spawning primitive)', async () => {
  const eslint = new ESLint({ cwd: root });
  const spawnErrors = async (file: string, code: string) => {
    const [r] = await eslint.lintText(code, { filePath: join(root, file) });
    return r!.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').length;
  };
  const value = "import { spawn } from 'node:child_process';\nexport const y = spawn;\n";
  for (const file of ['runtime/cri/x.ts', 'cluster/agents/x.ts', 'server/x.ts', 'cli/x.ts', 'bench/x.ts'])
    assert.equal(await spawnErrors(file, value), 1, `${file} may import node:child_process`);
  assert.equal(
    await spawnErrors('server/x.ts', "import { execFile } from 'child_process';\nexport const y = execFile;\n"),
    1,
  );
  assert.equal(await spawnErrors('runtime/host/spawn.ts', value), 0);
  assert.equal(
    await spawnErrors(
      'cluster/agents/x.ts',
      "import type { ChildProcess } from 'node:child_process';\nexport type Y = ChildProcess;\n",
    ),
    0,
  );
});
