// pods/ephemeralcontainers, what `kubectl debug` patches: the only way to change a running pod's
// spec, and only by adding to spec.ephemeralContainers (existing ones may not change or go), as
// kube-apiserver's EphemeralContainers REST and its validation allow. The kubelet of the pod's node
// then starts the new container inside the pod.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KObject } from '../registry/object-store.js';
import { ApiError, badRequest, methodNotAllowed } from '../status.js';
import { decodeObject, readBody } from './body.js';
import { sendJson, type ApiContext, type RequestScope } from './context.js';
import { applyPatch } from './patching.js';
import { isDnsLabel } from '../../../common/names.js';

const FORBIDDEN_FIELDS = ['ports', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle', 'resources'];

export async function serveEphemeralContainers(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  verb: string,
  s: RequestScope,
): Promise<void> {
  const r = s.resource;
  const current = ctx.store.get(r, s.namespace, s.name);
  if (verb === 'get') return sendJson(res, 200, current);
  let next: KObject;
  if (verb === 'update') next = decodeObject(await readBody(req), req.headers['content-type'], 'Pod');
  else if (verb === 'patch') next = applyPatch(r, current, await readBody(req), req.headers['content-type']);
  else throw methodNotAllowed();
  const rv = next.metadata?.resourceVersion;
  if (rv && rv !== current.metadata?.resourceVersion)
    throw new ApiError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on pods "${s.name}": the object has been modified; please apply your changes to the latest version and try again`,
    );
  const before: KObject[] = current.spec?.ephemeralContainers ?? [];
  const after: KObject[] = next.spec?.ephemeralContainers ?? [];
  checkEphemeral(current, before, after, s.name);
  const updated = structuredClone(current);
  updated.spec.ephemeralContainers = after.map((c) => ({
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    imagePullPolicy: 'IfNotPresent',
    ...c,
  }));
  const stored = ctx.store.update(r, s.namespace, updated, Number(current.metadata!.resourceVersion));
  ctx.observeWrite(r, stored, false);
  sendJson(res, 200, stored);
}

function invalid(pod: string, field: string, message: string): ApiError {
  return new ApiError(422, 'Invalid', `Pod "${pod}" is invalid: ${field}: ${message}`, {
    name: pod,
    kind: 'Pod',
    causes: [{ reason: 'FieldValueInvalid', message, field }],
  });
}

function checkEphemeral(pod: KObject, before: KObject[], after: KObject[], name: string): void {
  for (const old of before) {
    const now = after.find((c) => c.name === old.name);
    if (!now || JSON.stringify(now) !== JSON.stringify(old))
      throw invalid(name, 'spec.ephemeralContainers', 'Forbidden: existing ephemeral containers may not be changed');
  }
  const taken = new Set(
    [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].map((c: KObject) => c.name as string),
  );
  const seen = new Set<string>();
  after.forEach((c, i) => {
    const f = `spec.ephemeralContainers[${i}]`;
    if (typeof c.name !== 'string' || !isDnsLabel(c.name))
      throw invalid(name, `${f}.name`, `Invalid value: ${JSON.stringify(c.name)}: a lowercase RFC 1123 label`);
    if (taken.has(c.name) || seen.has(c.name)) throw invalid(name, `${f}.name`, `Duplicate value: "${c.name}"`);
    seen.add(c.name);
    if (!c.image) throw invalid(name, `${f}.image`, 'Required value');
    for (const k of FORBIDDEN_FIELDS)
      if (c[k] !== undefined && !(typeof c[k] === 'object' && !Array.isArray(c[k]) && !Object.keys(c[k]).length))
        throw invalid(name, `${f}.${k}`, 'Forbidden: cannot be set for an Ephemeral Container');
    if (c.targetContainerName && !taken.has(c.targetContainerName))
      throw invalid(name, `${f}.targetContainerName`, `Not found: "${c.targetContainerName}"`);
  });
  if (!pod.spec?.nodeName) throw badRequest(`pod ${name} does not have a host assigned`);
}
