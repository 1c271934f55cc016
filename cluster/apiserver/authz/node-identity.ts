// Who is a node: user `system:node:<name>` in group `system:nodes` (k8s.io/apiserver's
// NodeIdentity). Both the Node authorizer and NodeRestriction admission key on it.
import type { UserInfo } from '../authn/authenticator.js';

export const NODES_GROUP = 'system:nodes';
const PREFIX = 'system:node:';

/** The node's name, '' for a member of system:nodes whose name does not say which node, undefined for a non-node. */
export function nodeIdentity(user: UserInfo): string | undefined {
  if (!user.name.startsWith(PREFIX) || !user.groups.includes(NODES_GROUP)) return undefined;
  return user.name.slice(PREFIX.length);
}
