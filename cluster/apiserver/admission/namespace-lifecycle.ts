// NamespaceLifecycle: nothing is created in a namespace that does not exist or is being
// terminated, and the system namespaces cannot be deleted.
import type { KObject } from '../registry/object-store.js';
import { ApiError, notFound } from '../status.js';
import type { AdmissionAttributes, ValidatingPlugin } from './admission.js';

const IMMORTAL = new Set(['default', 'kube-system', 'kube-public']);

export class NamespaceLifecycle implements ValidatingPlugin {
  readonly name = 'NamespaceLifecycle';
  constructor(private readonly namespaces: { get(name: string): KObject | undefined }) {}

  validate(a: AdmissionAttributes): void {
    if (a.resource.plural === 'namespaces') {
      if (a.operation === 'DELETE' && IMMORTAL.has(a.name)) {
        throw new ApiError(403, 'Forbidden', `namespaces "${a.name}" is forbidden: this namespace may not be deleted`, {
          name: a.name,
          kind: 'namespaces',
        });
      }
      return;
    }
    if (!a.resource.namespaced || a.operation !== 'CREATE' || a.resource.virtual) return;
    const ns = this.namespaces.get(a.namespace);
    if (!ns) throw notFound('namespaces', '', a.namespace);
    // Events may still be written into a terminating namespace (kube allows that too).
    if (ns.status?.phase === 'Terminating' && a.resource.plural !== 'events') {
      throw new ApiError(
        403,
        'Forbidden',
        `${a.resource.plural} "${a.name}" is forbidden: unable to create new content in namespace ${a.namespace} because it is being terminated`,
        {
          name: a.name,
          kind: a.resource.plural,
          causes: [
            {
              reason: 'NamespaceTerminating',
              message: `namespace ${a.namespace} is being terminated`,
              field: 'metadata.namespace',
            },
          ],
        },
      );
    }
  }
}
