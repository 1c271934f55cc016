// Names of a lab's network namespaces (docs/architecture.md, "Names of kernel objects").
export class LabNames {
  constructor(readonly prefix: string) {}

  node(name: string): string {
    return `${this.prefix}${name}`;
  }
  /** `_` never occurs in Kubernetes names, so `<ns>_<pod>` cannot collide with a node. */
  pod(namespace: string, name: string): string {
    return `${this.prefix}${namespace}_${name}`;
  }
  get underlay(): string {
    return `${this.prefix}underlay`;
  }
  get gateway(): string {
    return `${this.prefix}gateway`;
  }
  /** The lab's image registry listens on this namespace's loopback. */
  get registry(): string {
    return `${this.prefix}registry`;
  }
  get internet(): string {
    return `${this.prefix}internet`;
  }
  /** An etcd member of the lab's store (topology controlPlane.store), on the node network. */
  etcd(member: string): string {
    return `${this.prefix}${member}`;
  }
  dockerHost(node: string): string {
    return `${this.prefix}docker_${node}`;
  }
}
