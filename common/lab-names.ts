// How a lab namespace's name says what it is (docs/architecture.md, "Names of kernel objects"):
// `<prefix><node>`, `<prefix><k8s namespace>_<pod>`, `<prefix>docker_<node>`, and the three
// reserved names underlay, gateway, internet. Shared by the server and the renderer.

export type NamespaceKind = 'node' | 'pod' | 'underlay' | 'gateway' | 'internet' | 'docker' | 'other';

export { INTERFACE_NAME, LAB_PREFIX, NAMESPACE_NAME } from './names.js';

export interface NamespaceIdentity {
  name: string;
  kind: NamespaceKind;
  /** What a person calls it: `node5`, `default/kubia-24hmb`, `underlay`. */
  label: string;
  node?: string;
  k8sNamespace?: string;
  pod?: string;
}

export function identifyNamespace(prefix: string, name: string): NamespaceIdentity {
  const rest = name.startsWith(prefix) ? name.slice(prefix.length) : name;
  if (!name.startsWith(prefix) || rest === '') return { name, kind: 'other', label: name };
  if (rest === 'underlay' || rest === 'gateway' || rest === 'internet') return { name, kind: rest, label: rest };
  const us = rest.indexOf('_');
  if (us < 0) return { name, kind: 'node', label: rest, node: rest };
  const left = rest.slice(0, us);
  const right = rest.slice(us + 1);
  if (left === 'docker') return { name, kind: 'docker', label: `docker@${right}`, node: right };
  return { name, kind: 'pod', label: `${left}/${right}`, k8sNamespace: left, pod: right };
}
