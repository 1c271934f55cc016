// DefaultTolerationSeconds (kube-apiserver's admission plugin of that name): every new pod
// tolerates node.kubernetes.io/not-ready and /unreachable NoExecute for 300 s unless it says
// otherwise, so a node that stops reporting has its pods evicted five minutes later, not at once.
import type { AdmissionAttributes, MutatingPlugin } from './admission.js';

const KEYS = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'];

export class DefaultTolerationSeconds implements MutatingPlugin {
  readonly name = 'DefaultTolerationSeconds';
  constructor(private readonly seconds = 300) {}

  admit(a: AdmissionAttributes): void {
    if (a.resource.plural !== 'pods' || a.operation !== 'CREATE' || a.subresource || !a.object?.spec) return;
    const spec = a.object.spec;
    const tolerations: { key?: string; operator?: string; effect?: string; tolerationSeconds?: number }[] =
      spec.tolerations ?? [];
    for (const key of KEYS) {
      // As kube-apiserver: any toleration with this key or an empty key, and NoExecute or an empty effect.
      const covered = tolerations.some((t) => (t.key === key || !t.key) && (!t.effect || t.effect === 'NoExecute'));
      if (!covered) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: this.seconds });
    }
    spec.tolerations = tolerations;
  }
}
