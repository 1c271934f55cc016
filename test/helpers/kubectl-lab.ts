// What the tests of a lab built by `kubewire up` share: up through the CLI, the admin kubeconfig
// that `kubewire kubeconfig` prints, the real kubectl and a KubeClient on that kubeconfig.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { KubeClient } from '../../cluster/client/kube-client.js';
import { restConfigFromKubeconfig } from '../../cluster/client/kubeconfig-file.js';
import type { TestLab } from '../integration/runtime/harness.js';

export const KUBECTL = '/usr/bin/kubectl';

/** Fails (does not skip) when the real kubectl is missing. */
export function assertKubectlInstalled(): void {
  assert.ok(existsSync(KUBECTL), `${KUBECTL} is not installed: npm start installs it (scripts/bootstrap.mjs)`);
}

/**
 * Writes `yaml` (the lab's topology) to the lab's state folder, runs `kubewire up` on it and asks
 * `kubewire kubeconfig` for the admin kubeconfig; both must succeed.
 */
export async function upWithKubeconfig(
  lab: TestLab,
  yaml: string,
  timeoutMs: number,
): Promise<{ file: string; kubeconfig: string }> {
  const file = join(lab.stateBase, 'topo.yaml');
  await lab.driver.writeFile(file, yaml);
  const up = await lab.cli(['up', file], { timeoutMs });
  assert.equal(up.exitCode, 0, up.stderr);
  const kubeconfig = (await lab.cli(['kubeconfig', '--lab', lab.topo.name], { timeoutMs })).stdout.trim();
  return { file, kubeconfig };
}

/** A KubeClient as the lab's admin (the kubeconfig's server, CA and token). */
export function clientFromKubeconfig(kubeconfig: string): KubeClient {
  return new KubeClient(restConfigFromKubeconfig(kubeconfig, 'kubewire-test'));
}

/** The real kubectl on `kubeconfig` (HOME in the lab's folder: its cache stays there). */
export function kubectlOn(kubeconfig: string, home: string, timeoutMs = 60_000) {
  const run = (args: string[], input?: string) =>
    execa(KUBECTL, args, {
      env: { KUBECONFIG: kubeconfig, HOME: home },
      reject: false,
      timeout: timeoutMs,
      ...(input === undefined ? {} : { input }),
    });
  /** kubectl that must exit 0; the failure names the command and kubectl's stderr. */
  const ok = async (args: string[], input?: string) => {
    const r = await run(args, input);
    assert.equal(r.exitCode, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  return { run, ok };
}
