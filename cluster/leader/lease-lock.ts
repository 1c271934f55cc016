// The lock a LeaderElector holds: one coordination.k8s.io/v1 Lease, read and written through the
// API with its resourceVersion so that two candidates racing for it cannot both win (409 Conflict).
import type { Lease } from '../../common/api-types.js';
import { isNotFound } from '../client/api-errors.js';
import type { ResourceClient } from '../client/resource-client.js';

export interface LeaseLock {
  /** `kube-system/kube-controller-manager`: what the lock is, for messages. */
  readonly description: string;
  get(): Promise<Lease | undefined>;
  create(lease: Lease): Promise<Lease>;
  update(lease: Lease): Promise<Lease>;
}

export class ApiLeaseLock implements LeaseLock {
  readonly description: string;
  constructor(
    private readonly leases: ResourceClient<Lease>,
    readonly namespace: string,
    readonly name: string,
  ) {
    this.description = `${namespace}/${name}`;
  }

  async get(): Promise<Lease | undefined> {
    try {
      return await this.leases.get(this.name, this.namespace);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  create(lease: Lease): Promise<Lease> {
    return this.leases.create(
      { ...lease, metadata: { ...lease.metadata, name: this.name, namespace: this.namespace } },
      this.namespace,
    );
  }

  update(lease: Lease): Promise<Lease> {
    return this.leases.update(lease);
  }
}
