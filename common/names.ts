// One validator per kind of name, shared by the CLI, the runtime (which hands these names to
// native-scripts/, whose lib.sh checks them again with the same patterns: KW_RE_*), the UI
// server's contract and the renderer. Pure, imports nothing.

/** RFC 1123 label as Kubernetes means it (object names, namespaces, node names): at most 63. */
export const DNS1123_LABEL = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** RFC 1123 subdomain: dot-separated labels, at most 253. */
export const DNS1123_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Interface names as the kernel allows them (IFNAMSIZ 16 incl. NUL) minus anything odd (lib.sh KW_RE_IFNAME). */
export const INTERFACE_NAME = /^[A-Za-z0-9_.-]{1,15}$/;
/** A network namespace name we accept anywhere: what `ip netns add` can create and no shell syntax. */
export const NAMESPACE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}$/;
/** A namespace a lab made (lib.sh KW_RE_NETNS): its prefix's `kw-`, then a name; at most 200. */
export const LAB_NAMESPACE = /^kw-[a-z0-9][a-z0-9_.-]{0,196}$/;
/** A lab prefix: `kw-`, `kw-t1a2b3c-`, `kw-ui-`, `kw-e2e-up-`. */
export const LAB_PREFIX = /^kw-([a-z0-9-]{0,19}-)?$/;
/** A lab's name (`--lab`, the topology's `name`): the state folder's name. */
export const LAB_NAME = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;
/** A control-plane component's identity (`--identity`, a Lease's holderIdentity): `host_uuid`. */
export const COMPONENT_IDENTITY = /^[A-Za-z0-9._:-]{1,253}$/;

export function isDnsLabel(s: string): boolean {
  return DNS1123_LABEL.test(s);
}

export function isDnsSubdomain(s: string): boolean {
  return DNS1123_SUBDOMAIN.test(s);
}

export function isInterfaceName(s: string): boolean {
  return INTERFACE_NAME.test(s);
}

export function isNamespaceName(s: string): boolean {
  return NAMESPACE_NAME.test(s);
}

export function isLabNamespace(s: string): boolean {
  return LAB_NAMESPACE.test(s);
}

export function isLabPrefix(s: string): boolean {
  return LAB_PREFIX.test(s);
}

export function isLabName(s: string): boolean {
  return LAB_NAME.test(s);
}

export function isComponentIdentity(s: string): boolean {
  return COMPONENT_IDENTITY.test(s);
}
