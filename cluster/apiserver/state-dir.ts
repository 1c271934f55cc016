// Where the apiserver keeps its certificates, tokens and admin kubeconfig: `<lab state>/apiserver`.
import { join } from 'node:path';

/** The lab's state folder: $KUBEWIRE_STATE, else /var/lib/kubewire/default (docs/architecture.md). */
export function labStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.KUBEWIRE_STATE || '/var/lib/kubewire/default';
}

export function apiserverStateDir(labDir: string): string {
  return join(labDir, 'apiserver');
}
