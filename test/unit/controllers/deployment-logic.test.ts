// The Deployment rollout as pure logic: a small in-memory world applies each plan's actions and
// plays the ReplicaSet controller and a kwok-like kubelet (pods become Ready when the test says).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, Pod, ReplicaSet } from '../../../common/api-types.js';
import { planDeployment } from '../../../cluster/controllers/deployment/deployment-logic.js';
import { goEncode } from '../../../cluster/apiserver/encoding/go-json.js';
import { planReplicas, fromReplicaSet } from '../../../cluster/controllers/replicaset/replica-set-logic.js';
import {
  PodTemplateHashLabel,
  RevisionAnnotation,
  revisionOf,
} from '../../../cluster/controllers/deployment/deployment-util.js';

const NOW = Date.UTC(2026, 0, 1);

function deployment(image: string, replicas = 6, strategy?: Deployment['spec']['strategy']): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'kubia', namespace: 'default', uid: 'd-uid', generation: 1 },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'kubia' } },
      template: { metadata: { labels: { app: 'kubia' } }, spec: { containers: [{ name: 'kubia', image }] } },
      ...(strategy ? { strategy } : {}),
    },
  };
}

class World {
  rss: ReplicaSet[] = [];
  pods: Pod[] = [];
  events: string[] = [];
  private seq = 0;
  constructor(public d: Deployment) {}

  syncDeployment(): number {
    const plan = planDeployment(this.d, this.rss, this.pods, NOW);
    for (const e of plan.events) this.events.push(`${e.reason} ${e.message}`);
    for (const a of plan.actions) {
      if (a.type === 'createReplicaSet')
        this.rss.push({
          ...a.rs,
          metadata: {
            ...a.rs.metadata,
            uid: `rs-${this.seq++}`,
            generation: 1,
            creationTimestamp: new Date(NOW + this.seq * 1000).toISOString(),
          },
        });
      else if (a.type === 'updateReplicaSet')
        this.rss = this.rss.map((r) => (r.metadata.name === a.rs.metadata.name ? a.rs : r));
      else if (a.type === 'deleteReplicaSet') this.rss = this.rss.filter((r) => r.metadata.name !== a.rs.metadata.name);
      else if (a.type === 'updateDeploymentAnnotations')
        this.d = { ...this.d, metadata: { ...this.d.metadata, annotations: a.annotations } };
      else if (a.type === 'updateStatus') this.d = { ...this.d, status: a.status };
    }
    return plan.actions.length;
  }

  syncReplicaSets(): void {
    this.rss = this.rss.map((rs) => {
      const plan = planReplicas(fromReplicaSet(rs), this.pods, NOW);
      for (let i = 0; i < plan.create; i++) {
        this.pods.push({
          metadata: {
            name: `${rs.metadata.name}-${this.seq++}`,
            namespace: 'default',
            labels: { ...rs.spec.template!.metadata!.labels },
            ownerReferences: [plan.ref],
            creationTimestamp: new Date(NOW).toISOString(),
          },
          spec: structuredClone(rs.spec.template!.spec),
          status: { phase: 'Pending' },
        });
      }
      const gone = new Set(plan.delete.map((p) => p.metadata.name));
      this.pods = this.pods.filter((p) => !gone.has(p.metadata.name));
      const after = planReplicas(fromReplicaSet(rs), this.pods, NOW);
      return { ...rs, status: after.status };
    });
  }

  /** kwok's part: every pending pod becomes Running and Ready. */
  readyAll(limit = Infinity): void {
    let n = 0;
    for (const p of this.pods) {
      if (p.status?.phase === 'Pending' && n++ < limit)
        p.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };
    }
  }

  available(): number {
    return this.pods.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
  }
}

test('a new Deployment gets one ReplicaSet named <deployment>-<pod-template-hash> at revision 1 with all replicas', () => {
  const w = new World(deployment('luksa/kubia:v1'));
  w.syncDeployment();
  assert.equal(w.rss.length, 1);
  const rs = w.rss[0]!;
  const hash = rs.metadata.labels![PodTemplateHashLabel]!;
  assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
  assert.equal(rs.metadata.name, `kubia-${hash}`);
  assert.equal(rs.spec.replicas, 6);
  assert.equal(rs.spec.selector.matchLabels![PodTemplateHashLabel], hash);
  assert.equal(rs.metadata.annotations![RevisionAnnotation], '1');
  assert.equal(w.d.metadata.annotations![RevisionAnnotation], '1');
  assert.deepEqual(w.events, [`ScalingReplicaSet Scaled up replica set ${rs.metadata.name} to 6`]);
  w.syncReplicaSets();
  assert.equal(w.pods.length, 6);
  w.readyAll();
  w.syncReplicaSets();
  w.syncDeployment();
  assert.equal(w.d.status!.availableReplicas, 6);
  assert.equal(w.d.status!.conditions!.find((c) => c.type === 'Progressing')!.reason, 'NewReplicaSetAvailable');
  assert.equal(w.syncDeployment(), 0, 'a settled Deployment plans nothing (idempotent)');
});

test('a rolling update never drops below replicas - maxUnavailable available pods nor exceeds replicas + maxSurge', () => {
  const w = new World(
    deployment('luksa/kubia:v1', 6, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } }),
  );
  for (let i = 0; i < 5; i++) {
    w.syncDeployment();
    w.syncReplicaSets();
    w.readyAll();
    w.syncReplicaSets();
  }
  assert.equal(w.available(), 6);
  w.d = {
    ...w.d,
    metadata: { ...w.d.metadata, generation: 2 },
    spec: {
      ...w.d.spec,
      template: {
        metadata: { labels: { app: 'kubia' } },
        spec: { containers: [{ name: 'kubia', image: 'luksa/kubia:v2' }] },
      },
    },
  };
  let minAvail = Infinity;
  let maxPods = 0;
  for (let round = 0; round < 40; round++) {
    w.syncDeployment();
    w.syncReplicaSets();
    minAvail = Math.min(minAvail, w.available());
    maxPods = Math.max(maxPods, w.pods.length);
    w.readyAll(1); // one pod becomes ready per round: a slow kubelet
    w.syncReplicaSets();
  }
  assert.ok(minAvail >= 5, `available dipped to ${minAvail}`);
  assert.ok(maxPods <= 7, `pods peaked at ${maxPods}`);
  assert.ok(w.pods.every((p) => p.spec.containers[0]!.image === 'luksa/kubia:v2'));
  assert.equal(w.pods.length, 6);
  const [older, newer] = [...w.rss].sort((a, b) => revisionOf(a) - revisionOf(b));
  assert.equal(older!.spec.replicas, 0);
  assert.equal(revisionOf(newer!), 2);
  assert.equal(w.d.status!.updatedReplicas, 6);
  assert.ok(w.events.some((e) => e.startsWith(`ScalingReplicaSet Scaled down replica set ${older!.metadata.name} to`)));
});

test('undo: going back to the old template reuses the old ReplicaSet and gives it the next revision', () => {
  const w = new World(deployment('v1', 3));
  const settle = () => {
    for (let i = 0; i < 20; i++) {
      w.syncDeployment();
      w.syncReplicaSets();
      w.readyAll();
      w.syncReplicaSets();
    }
  };
  settle();
  const v1 = w.d.spec.template;
  w.d = {
    ...w.d,
    spec: {
      ...w.d.spec,
      template: { metadata: { labels: { app: 'kubia' } }, spec: { containers: [{ name: 'kubia', image: 'v2' }] } },
    },
  };
  settle();
  assert.equal(w.rss.length, 2);
  w.d = { ...w.d, spec: { ...w.d.spec, template: v1 } };
  settle();
  assert.equal(w.rss.length, 2, 'no third ReplicaSet');
  const current = w.rss.find((r) => r.spec.replicas === 3)!;
  assert.equal(current.spec.template!.spec.containers[0]!.image, 'v1');
  assert.equal(revisionOf(current), 3);
  assert.equal(current.metadata.annotations!['deployment.kubernetes.io/revision-history'], '1');
  assert.equal(w.d.metadata.annotations![RevisionAnnotation], '3');
});

test('Recreate scales every old pod away before the new ReplicaSet gets any', () => {
  const w = new World(deployment('v1', 3, { type: 'Recreate' }));
  const step = () => {
    w.syncDeployment();
    w.syncReplicaSets();
    w.readyAll();
    w.syncReplicaSets();
  };
  for (let i = 0; i < 5; i++) step();
  w.d = {
    ...w.d,
    spec: {
      ...w.d.spec,
      template: { metadata: { labels: { app: 'kubia' } }, spec: { containers: [{ name: 'kubia', image: 'v2' }] } },
    },
  };
  const images: string[][] = [];
  for (let i = 0; i < 6; i++) {
    step();
    images.push(w.pods.map((p) => p.spec.containers[0]!.image!));
  }
  assert.ok(
    images.every((set) => !(set.includes('v1') && set.includes('v2'))),
    `old and new pods never overlap: ${JSON.stringify(images)}`,
  );
  assert.deepEqual(images.at(-1), ['v2', 'v2', 'v2']);
});

test('scaling a settled Deployment scales its ReplicaSet only', () => {
  const w = new World(deployment('v1', 3));
  for (let i = 0; i < 5; i++) {
    w.syncDeployment();
    w.syncReplicaSets();
    w.readyAll();
    w.syncReplicaSets();
  }
  w.d = { ...w.d, spec: { ...w.d.spec, replicas: 5 } };
  w.syncDeployment();
  assert.equal(w.rss.length, 1);
  assert.equal(w.rss[0]!.spec.replicas, 5);
  assert.match(w.events.at(-1)!, /Scaled up replica set kubia-\w+ to 5/);
});

test('revisionHistoryLimit prunes the oldest zero-sized ReplicaSets once the rollout is complete', () => {
  const w = new World({ ...deployment('v0', 1), spec: { ...deployment('v0', 1).spec, revisionHistoryLimit: 1 } });
  for (let v = 1; v <= 4; v++) {
    for (let i = 0; i < 10; i++) {
      w.syncDeployment();
      w.syncReplicaSets();
      w.readyAll();
      w.syncReplicaSets();
    }
    w.d = {
      ...w.d,
      spec: {
        ...w.d.spec,
        template: { metadata: { labels: { app: 'kubia' } }, spec: { containers: [{ name: 'kubia', image: `v${v}` }] } },
      },
    };
  }
  for (let i = 0; i < 10; i++) {
    w.syncDeployment();
    w.syncReplicaSets();
    w.readyAll();
    w.syncReplicaSets();
  }
  assert.equal(w.rss.length, 2, 'the new one and one old');
});

test('a rollout that makes no progress for progressDeadlineSeconds is reported ProgressDeadlineExceeded', () => {
  const w = new World({ ...deployment('v1', 2), spec: { ...deployment('v1', 2).spec, progressDeadlineSeconds: 60 } });
  w.syncDeployment();
  w.syncReplicaSets(); // pods exist but never become ready (an image that never pulls)
  w.syncDeployment();
  const first = planDeployment(w.d, w.rss, w.pods, NOW);
  assert.ok(
    first.requeueAfterMs! > 0 && first.requeueAfterMs! <= 61_000,
    `asks to look again at the deadline (${first.requeueAfterMs})`,
  );
  const later = planDeployment(w.d, w.rss, w.pods, NOW + 61_000);
  const st = later.actions.find((a) => a.type === 'updateStatus');
  assert.ok(st && st.type === 'updateStatus');
  const prog = st.status.conditions!.find((c) => c.type === 'Progressing')!;
  assert.equal(prog.status, 'False');
  assert.equal(prog.reason, 'ProgressDeadlineExceeded');
  assert.match(prog.message!, /^ReplicaSet "kubia-\w+" has timed out progressing\.$/);
});

/** The Deployment after the status write, as the apiserver serves it back (omitempty counters dropped). */
function served(d: Deployment, status: Deployment['status']): Deployment {
  return goEncode({ ...d, status }) as Deployment;
}

/** Plans twice, the second time from what the first wrote: the second must not write again. */
function assertFixedPoint(what: string, d: Deployment, rss: ReplicaSet[], pods: Pod[]): Deployment {
  const first = planDeployment(d, rss, pods, NOW + 1000);
  const st = first.actions.find((a) => a.type === 'updateStatus');
  const next = st?.type === 'updateStatus' ? served(d, st.status) : served(d, d.status);
  // A second later, as a sync brought by the write's own watch event would be.
  const second = planDeployment(next, rss, pods, NOW + 2000);
  const again = second.actions.find((a) => a.type === 'updateStatus');
  assert.equal(
    again,
    undefined,
    `${what}: the status planned from the status just written is written again: ${JSON.stringify(again)} over ${JSON.stringify(next.status)}`,
  );
  return next;
}

test('the planned status is a fixed point: planned again from what the apiserver serves back, nothing is written (while deleting, and with no ReplicaSet left)', () => {
  const w = new World(deployment('v1', 2));
  for (let i = 0; i < 4; i++) {
    w.syncDeployment();
    w.syncReplicaSets();
    w.readyAll();
    w.syncReplicaSets();
  }
  w.syncDeployment();
  assert.equal(w.d.status?.availableReplicas, 2);
  const settled = assertFixedPoint('settled', served(w.d, w.d.status), w.rss, w.pods);
  // Deleted with propagationPolicy Orphan: the deletionTimestamp comes first, the ReplicaSet still owned.
  const deleting: Deployment = {
    ...settled,
    metadata: { ...settled.metadata, deletionTimestamp: new Date(NOW).toISOString(), finalizers: ['orphan'] },
  };
  const stillDeleting = assertFixedPoint('deleting, ReplicaSet owned', deleting, w.rss, w.pods);
  // Then the garbage collector takes the owner out of the ReplicaSet's ownerReferences: the
  // Deployment controls nothing, its counters are all 0 and the apiserver serves them absent.
  const orphaned = w.rss.map((rs) => ({ ...rs, metadata: { ...rs.metadata, ownerReferences: [] } }));
  const noRs = planDeployment(stillDeleting, orphaned, w.pods, NOW + 1000);
  const st = noRs.actions.find((a) => a.type === 'updateStatus');
  assert.ok(st?.type === 'updateStatus', 'the status says the pods are no longer counted');
  assert.equal(st.status.conditions?.find((c) => c.type === 'Available')?.status, 'False');
  const after = assertFixedPoint('deleting, no ReplicaSet owned', stillDeleting, orphaned, w.pods);
  assertFixedPoint('deleting, no ReplicaSet owned, once more', after, orphaned, w.pods);
  // And a Deployment scaled to zero (its counters served absent too) outside any deletion.
  const zero = new World(deployment('v1', 0));
  for (let i = 0; i < 3; i++) {
    zero.syncDeployment();
    zero.syncReplicaSets();
  }
  assertFixedPoint('scaled to zero', served(zero.d, zero.d.status), zero.rss, zero.pods);
});
