// Admission: after authorization and before the store, mutating plugins may change the object
// (defaults, allocations), then validating plugins may refuse it. Each plugin is one concern.
// Admission webhooks are the one asynchronous part: they are consulted only when one concerns the
// request, so a cluster without webhooks admits synchronously, as before.
import type { UserInfo } from '../authn/authenticator.js';
import type { ResourceInfo } from '../resources.js';
import type { KObject } from '../registry/object-store.js';
import { ApiError } from '../status.js';

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
  dryRun?: boolean;
  /** The request's CreateOptions/UpdateOptions/DeleteOptions fields (what webhooks are shown). */
  options?: KObject;
  /** Where plugins put warnings for the response's Warning headers (absent: dropped). */
  warnings?: string[];
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

/** Admission that calls out of the process (MutatingAdmissionWebhook, ValidatingAdmissionWebhook). */
export interface DynamicAdmission {
  /** Whether the request concerns any webhook (no: the chain stays synchronous). */
  concerns(a: AdmissionAttributes): boolean;
  /** Runs the mutating webhooks; true when the built-in mutating plugins must run again. */
  mutate(a: AdmissionAttributes, state: object, round: 0 | 1): Promise<boolean>;
  validate(a: AdmissionAttributes): Promise<void>;
}

export interface AdmissionChain {
  mutating: MutatingPlugin[];
  validating: ValidatingPlugin[];
  /** Webhooks: after the built-in mutating plugins, and after the built-in validating ones. */
  webhooks?: DynamicAdmission;
}

/** The built-in chain only (the apiserver's own writes at start, and paths that cannot wait). */
export function admit(chain: AdmissionChain, a: AdmissionAttributes): void {
  for (const p of chain.mutating) p.admit(a);
  for (const p of chain.validating) p.validate(a);
}

/**
 * The whole chain for a request: synchronous (undefined) unless a webhook concerns it, then a
 * promise — mutating plugins, mutating webhooks (reinvoked once with the plugins when one changed
 * the object), validating plugins, validating webhooks.
 */
export function admitRequest(chain: AdmissionChain, a: AdmissionAttributes): Promise<void> | undefined {
  try {
    const pending = admitSteps(chain, a);
    return pending?.catch((err: unknown) => {
      throw keepWarnings(err, a);
    });
  } catch (err) {
    throw keepWarnings(err, a);
  }
}

function keepWarnings(err: unknown, a: AdmissionAttributes): unknown {
  if (err instanceof ApiError && a.warnings?.length) err.warnings = [...a.warnings];
  return err;
}

function admitSteps(chain: AdmissionChain, a: AdmissionAttributes): Promise<void> | undefined {
  const hooks = chain.webhooks;
  if (!hooks) {
    admit(chain, a);
    return undefined;
  }
  for (const p of chain.mutating) p.admit(a);
  if (!hooks.concerns(a)) {
    for (const p of chain.validating) p.validate(a);
    return undefined;
  }
  return withWebhooks(chain, hooks, a);
}

async function withWebhooks(chain: AdmissionChain, hooks: DynamicAdmission, a: AdmissionAttributes): Promise<void> {
  const state = {};
  if (await hooks.mutate(a, state, 0)) {
    for (const p of chain.mutating) p.admit(a);
    await hooks.mutate(a, state, 1);
  }
  for (const p of chain.validating) p.validate(a);
  if (hooks.concerns(a)) await hooks.validate(a);
}
