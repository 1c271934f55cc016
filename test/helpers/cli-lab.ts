// A lab for end-to-end tests built the way a user builds one: `kubewire up FILE` (the CLI, so the
// cluster daemon too) with the test's own prefix, state folder and a free apiserver port.
// `cleanup()` (TestLab's) resets it through the CLI and sweeps the prefix.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestLab } from '../integration/runtime/harness.js';

export async function upWithCli(yaml: string, timeoutMs = 300_000): Promise<TestLab> {
  const lab = new TestLab(yaml);
  const file = join(lab.stateBase, `${lab.topo.name}.yaml`);
  writeFileSync(file, yaml);
  const r = await lab.cli(['up', file], { timeoutMs });
  if (r.exitCode !== 0) {
    await lab.cleanup();
    throw new Error(
      `kubewire up ${file} failed (${r.exitCode}): ${String(r.stderr).trim().split('\n').slice(-3).join(' | ')}`,
    );
  }
  return lab;
}
