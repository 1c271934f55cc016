// Admission: after authorization and before the store, mutating plugins may change the object
// (defaults, allocations), then validating plugins may refuse it. Each plugin is one concern.
import type { UserInfo } from '../authn/authenticator.js';
import type { ResourceInfo } from '../resources.js';
import type { KObject } from '../registry/object-store.js';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface AdmissionAttributes {
  operation: Operation;
  resource: ResourceInfo;
  subresource: string;
  namespace: string;
  name: string;
  /** The object to be stored (mutable for mutating plugins); undefined for DELETE. */
  object?: KObject;
  oldObject?: KObject;
  user: UserInfo;
}

export interface MutatingPlugin {
  readonly name: string;
  admit(a: AdmissionAttributes): void;
}

export interface ValidatingPlugin {
  readonly name: string;
  /** Throws an ApiError (usually 422 Invalid or 403 Forbidden) to refuse. */
  validate(a: AdmissionAttributes): void;
}

export interface AdmissionChain {
  mutating: MutatingPlugin[];
  validating: ValidatingPlugin[];
}

export function admit(chain: AdmissionChain, a: AdmissionAttributes): void {
  for (const p of chain.mutating) p.admit(a);
  for (const p of chain.validating) p.validate(a);
}
