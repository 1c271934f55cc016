// pods/eviction (policy/v1 Eviction), what `kubectl drain` posts: a pod covered by a
// PodDisruptionBudget is deleted only while the budget allows a disruption, else 429 as
// kube-apiserver's eviction REST does. There is no disruption controller here, so the budget's
// status (currentHealthy, desiredHealthy, expectedPods, disruptionsAllowed) is computed from the
// pods at the moment of the eviction and written back, with the evicted pod in disruptedPods
// (which counts as already disrupted until it is gone, as the controller's DeletionTimeout does).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { selectorMatches as matchesSelector } from '../selectors/selector-object.js';
import type { KObject } from '../registry/object-store.js';
import { ApiError, badRequest } from '../status.js';
import { decodeObject, readBody } from './body.js';
import { sendJson, type ApiContext, type RequestScope } from './context.js';
import { deleteObject, parseDeleteOptions } from './deletion.js';
import { rfc3339 } from '../../../common/time.js';

const DISRUPTED_TTL_MS = 2 * 60_000;

export async function serveEviction(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  s: RequestScope,
): Promise<void> {
  const body = decodeObject(await readBody(req), req.headers['content-type'], 'Eviction');
  if (body.kind && body.kind !== 'Eviction') throw badRequest(`expected Eviction, got ${body.kind}`);
  if (body.metadata?.name && body.metadata.name !== s.name)
    throw badRequest(`name in URL does not match name in Eviction object`);
  const pods = s.resource;
  const pod = ctx.store.get(pods, s.namespace, s.name);
  const opts = parseDeleteOptions(body.deleteOptions, new URLSearchParams());
  const phase = pod.status?.phase;
  // Pods that are done, not yet running or already going need no budget (canIgnorePDB).
  const ignore =
    phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || !!pod.metadata?.deletionTimestamp;
  if (!ignore) {
    const pdbRes = ctx.catalog.find('policy', 'v1', 'poddisruptionbudgets')!;
    const pdbs = ctx.store
      .list(pdbRes, s.namespace, {})
      .items.filter(
        (p) =>
          p.spec?.selector &&
          Object.keys(p.spec.selector).length &&
          matchesSelector(p.spec.selector, pod.metadata?.labels ?? {}),
      );
    if (pdbs.length > 1)
      throw new ApiError(
        500,
        'InternalError',
        'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
      );
    if (pdbs.length === 1) {
      const pdb = pdbs[0]!;
      const now = ctx.clock.now();
      const status = budgetStatus(pdb, ctx.store.list(pods, s.namespace, {}).items, now);
      if (status.disruptionsAllowed <= 0) {
        writeStatus(ctx, pdbRes, pdb, status);
        throw new ApiError(
          429,
          'TooManyRequests',
          "Cannot evict pod as it would violate the pod's disruption budget.",
          {
            causes: [
              {
                reason: 'DisruptionBudget',
                message: `The disruption budget ${pdb.metadata!.name} needs ${status.desiredHealthy} healthy pods and has ${status.currentHealthy} currently`,
              },
            ],
          },
        );
      }
      status.disruptionsAllowed -= 1;
      status.disruptedPods = {
        ...(status.disruptedPods as Record<string, string>),
        [s.name]: rfc3339(now),
      };
      writeStatus(ctx, pdbRes, pdb, status);
    }
  }
  deleteObject(ctx, pods, s.namespace, s.name, opts, s.user);
  sendJson(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
}

interface BudgetStatus extends KObject {
  currentHealthy: number;
  desiredHealthy: number;
  expectedPods: number;
  disruptionsAllowed: number;
}

/** The disruption controller's arithmetic over the budget's pods (expected = the pods selected). */
export function budgetStatus(pdb: KObject, pods: KObject[], now: number): BudgetStatus {
  const disrupted: Record<string, string> = {};
  for (const [name, at] of Object.entries((pdb.status?.disruptedPods ?? {}) as Record<string, string>)) {
    if (
      now - Date.parse(at) < DISRUPTED_TTL_MS &&
      pods.some((p) => p.metadata?.name === name && !p.metadata?.deletionTimestamp)
    )
      disrupted[name] = at;
  }
  const selected = pods.filter(
    (p) =>
      matchesSelector(pdb.spec.selector, p.metadata?.labels ?? {}) &&
      p.status?.phase !== 'Succeeded' &&
      p.status?.phase !== 'Failed',
  );
  const healthy = selected.filter(
    (p) =>
      !p.metadata?.deletionTimestamp &&
      !disrupted[p.metadata!.name] &&
      (p.status?.conditions ?? []).some((c: KObject) => c.type === 'Ready' && c.status === 'True'),
  ).length;
  const expected = selected.length;
  const asCount = (v: unknown, roundUp: boolean): number => {
    if (typeof v === 'number') return v;
    const m = /^(\d+)%$/.exec(String(v));
    if (!m) return Number(v) || 0;
    const x = (Number(m[1]) * expected) / 100;
    return roundUp ? Math.ceil(x) : Math.floor(x);
  };
  let desired: number;
  if (pdb.spec.minAvailable !== undefined) desired = asCount(pdb.spec.minAvailable, true);
  else if (pdb.spec.maxUnavailable !== undefined)
    desired = Math.max(0, expected - asCount(pdb.spec.maxUnavailable, true));
  else desired = expected;
  return {
    observedGeneration: pdb.metadata?.generation ?? 1,
    disruptedPods: disrupted,
    currentHealthy: healthy,
    desiredHealthy: desired,
    expectedPods: expected,
    disruptionsAllowed: Math.max(0, healthy - desired),
    conditions: [
      {
        type: 'DisruptionAllowed',
        status: healthy - desired > 0 ? 'True' : 'False',
        reason: healthy - desired > 0 ? 'SufficientPods' : 'InsufficientPods',
        message: '',
        observedGeneration: pdb.metadata?.generation ?? 1,
        lastTransitionTime: rfc3339(now),
      },
    ],
  };
}

function writeStatus(
  ctx: ApiContext,
  r: Parameters<ApiContext['store']['update']>[0],
  pdb: KObject,
  status: BudgetStatus,
): void {
  const next = { ...pdb, status };
  const stored = ctx.store.update(r, pdb.metadata!.namespace, next, Number(pdb.metadata!.resourceVersion));
  ctx.observeWrite(r, stored, false);
}
