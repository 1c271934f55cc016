// Admission webhooks and ValidatingAdmissionPolicy without a network: rule matching as
// k8s.io/apiserver's predicates decide it, the AdmissionReview request and response checks, the
// refusal wording, and CEL policies evaluated against requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AdmissionAttributes } from '../../../cluster/apiserver/admission/admission.js';
import { AdmissionConfigurations } from '../../../cluster/apiserver/admission/webhooks/configurations.js';
import {
  defaultAdmissionConfig,
  validateAdmissionConfig,
} from '../../../cluster/apiserver/admission/webhooks/config-validation.js';
import {
  admissionReview,
  deniedStatus,
  verifyResponse,
} from '../../../cluster/apiserver/admission/webhooks/dispatcher.js';
import {
  matchRules,
  namespaceSelectorMatches,
  objectSelectorMatches,
  ruleMatches,
  targetOf,
} from '../../../cluster/apiserver/admission/webhooks/matching.js';
import { ValidatingAdmissionPolicyPlugin } from '../../../cluster/apiserver/admission/webhooks/validating-policy.js';
import { ObjectStore, type KObject } from '../../../cluster/apiserver/registry/object-store.js';
import { ResourceCatalog } from '../../../cluster/apiserver/resources.js';
import { ApiError } from '../../../cluster/apiserver/status.js';
import { MemoryBackend } from '../../../cluster/store/memory-backend.js';

const USER = { name: 'alice', uid: 'u-1', groups: ['devs', 'system:authenticated'] };
const catalog = new ResourceCatalog();
const res = (group: string, version: string, plural: string) => catalog.find(group, version, plural)!;

function attrs(
  over: Partial<AdmissionAttributes> & { resource: AdmissionAttributes['resource'] },
): AdmissionAttributes {
  return { operation: 'CREATE', subresource: '', namespace: 'default', name: 'x', user: USER, ...over };
}

test('rules: operations, groups, versions, resources with subresources and wildcards, scope', () => {
  const pods = res('', 'v1', 'pods');
  const create = targetOf(attrs({ resource: pods }));
  const rule = { operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] };
  assert.equal(ruleMatches(rule, create), true);
  assert.equal(ruleMatches({ ...rule, operations: ['UPDATE'] }, create), false);
  assert.equal(ruleMatches({ ...rule, operations: ['*'] }, create), true);
  assert.equal(ruleMatches({ ...rule, apiGroups: ['apps'] }, create), false);
  assert.equal(ruleMatches({ ...rule, apiVersions: ['*'] }, create), true);
  // `pods` is the main resource only; pods/status and `*/*` are how subresources are named.
  const status = targetOf(attrs({ resource: pods, subresource: 'status', operation: 'UPDATE' }));
  assert.equal(ruleMatches({ ...rule, operations: ['*'] }, status), false);
  assert.equal(ruleMatches({ ...rule, operations: ['*'], resources: ['pods/status'] }, status), true);
  assert.equal(ruleMatches({ ...rule, operations: ['*'], resources: ['pods/*'] }, status), true);
  assert.equal(ruleMatches({ ...rule, operations: ['*'], resources: ['*'] }, status), false);
  assert.equal(ruleMatches({ ...rule, operations: ['*'], resources: ['*/*'] }, status), true);
  assert.equal(ruleMatches({ ...rule, resources: ['*/status'] }, create), false);
  // Scope: a Namespace object is cluster-scoped even though its request carries its name as namespace.
  const nsReq = targetOf(attrs({ resource: res('', 'v1', 'namespaces'), namespace: 'x' }));
  const any = { operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'] };
  assert.equal(ruleMatches({ ...any, scope: 'Namespaced' }, nsReq), false);
  assert.equal(ruleMatches({ ...any, scope: 'Cluster' }, nsReq), true);
  assert.equal(ruleMatches({ ...any, scope: 'Namespaced' }, create), true);
  assert.equal(ruleMatches({ ...any, scope: 'Cluster' }, create), false);
  const node = targetOf(attrs({ resource: res('', 'v1', 'nodes'), namespace: '' }));
  assert.equal(ruleMatches({ ...any, scope: 'Cluster' }, node), true);
  assert.equal(ruleMatches({ ...any, scope: '*' }, node), true);
});

test('matchPolicy: Equivalent finds the same objects under another version, Exact does not', () => {
  const v1 = res('autoscaling', 'v1', 'horizontalpodautoscalers');
  const v2 = res('autoscaling', 'v2', 'horizontalpodautoscalers');
  const a = attrs({ resource: v1 });
  const rules = [{ operations: ['CREATE'], apiGroups: ['autoscaling'], apiVersions: ['v2'], resources: ['*'] }];
  assert.equal(matchRules(rules, 'Equivalent', a, catalog), v2);
  assert.equal(matchRules(rules, 'Exact', a, catalog), undefined);
  assert.equal(matchRules(rules, 'Equivalent', attrs({ resource: v2 }), catalog), v2);
});

test('selectors: namespace labels (a Namespace uses its own), object labels old or new', () => {
  const pods = res('', 'v1', 'pods');
  const nsOf = (name: string): KObject | undefined =>
    name === 'prod'
      ? { metadata: { name, labels: { env: 'prod' } } }
      : name === 'dev'
        ? { metadata: { name } }
        : undefined;
  const sel = { matchLabels: { env: 'prod' } };
  assert.equal(namespaceSelectorMatches(sel, attrs({ resource: pods, namespace: 'prod' }), nsOf), true);
  assert.equal(namespaceSelectorMatches(sel, attrs({ resource: pods, namespace: 'dev' }), nsOf), false);
  assert.equal(namespaceSelectorMatches(sel, attrs({ resource: pods, namespace: 'gone' }), nsOf), 'missing');
  assert.equal(namespaceSelectorMatches({}, attrs({ resource: pods, namespace: 'gone' }), nsOf), true);
  // Cluster-scoped objects are not filtered by namespaceSelector.
  assert.equal(namespaceSelectorMatches(sel, attrs({ resource: res('', 'v1', 'nodes'), namespace: '' }), nsOf), true);
  const nsObj = { metadata: { name: 'new', labels: { env: 'prod' } } };
  assert.equal(
    namespaceSelectorMatches(
      sel,
      attrs({ resource: res('', 'v1', 'namespaces'), namespace: 'new', object: nsObj }),
      nsOf,
    ),
    true,
  );
  const osel = { matchExpressions: [{ key: 'skip', operator: 'DoesNotExist' as const }] };
  assert.equal(objectSelectorMatches(osel, attrs({ resource: pods, object: { metadata: { labels: {} } } })), true);
  assert.equal(
    objectSelectorMatches(osel, attrs({ resource: pods, object: { metadata: { labels: { skip: '1' } } } })),
    false,
  );
  assert.equal(
    objectSelectorMatches(
      { matchLabels: { app: 'a' } },
      attrs({
        resource: pods,
        operation: 'UPDATE',
        object: { metadata: { labels: {} } },
        oldObject: { metadata: { labels: { app: 'a' } } },
      }),
    ),
    true,
  );
});

test('AdmissionReview request: kinds, resources, user, objects with type meta, options', () => {
  const deploy = res('apps', 'v1', 'deployments');
  const a = attrs({ resource: deploy, object: { metadata: { name: 'web' }, spec: {} }, dryRun: true });
  const review = admissionReview('uid-1', a, {
    hook: { uid: 'c/w/0', configurationName: 'c', mutating: true, spec: {} },
    resource: deploy,
  });
  assert.equal(review.apiVersion, 'admission.k8s.io/v1');
  assert.equal(review.kind, 'AdmissionReview');
  const r = review.request;
  assert.deepEqual(r.kind, { group: 'apps', version: 'v1', kind: 'Deployment' });
  assert.deepEqual(r.resource, { group: 'apps', version: 'v1', resource: 'deployments' });
  assert.deepEqual(r.requestKind, { group: 'apps', version: 'v1', kind: 'Deployment' });
  assert.equal(r.operation, 'CREATE');
  assert.equal(r.namespace, 'default');
  assert.deepEqual(r.userInfo, { username: 'alice', uid: 'u-1', groups: ['devs', 'system:authenticated'] });
  assert.equal(r.object.apiVersion, 'apps/v1');
  assert.equal(r.object.kind, 'Deployment');
  assert.equal(r.oldObject, null);
  assert.equal(r.dryRun, true);
  assert.deepEqual(r.options, { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1', dryRun: ['All'] });
});

test('AdmissionReview response checks, worded as VerifyAdmissionResponse', () => {
  const ok = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'u', allowed: true } };
  assert.equal(verifyResponse('u', false, ok).allowed, true);
  const throws = (mutating: boolean, review: KObject, message: string) =>
    assert.throws(() => verifyResponse('u', mutating, review), { message });
  throws(false, { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, 'webhook response was absent');
  throws(false, { ...ok, response: { uid: 'v', allowed: true } }, 'expected response.uid="u", got "v"');
  throws(
    false,
    { ...ok, apiVersion: 'admission.k8s.io/v1beta1' },
    'expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got admission.k8s.io/v1beta1, Kind=AdmissionReview',
  );
  const patch = Buffer.from(JSON.stringify([{ op: 'add', path: '/metadata/labels', value: { a: 'b' } }])).toString(
    'base64',
  );
  throws(
    false,
    { ...ok, response: { uid: 'u', allowed: true, patch, patchType: 'JSONPatch' } },
    'validating webhook may not return response.patch',
  );
  throws(
    true,
    { ...ok, response: { uid: 'u', allowed: true, patch } },
    'webhook returned response.patch but not response.patchType',
  );
  throws(
    true,
    { ...ok, response: { uid: 'u', allowed: true, patchType: 'JSONPatch' } },
    'webhook returned response.patchType but not response.patch',
  );
  const m = verifyResponse('u', true, {
    ...ok,
    response: { uid: 'u', allowed: true, patch, patchType: 'JSONPatch', warnings: ['w1'] },
  });
  assert.deepEqual(m.patch, [{ op: 'add', path: '/metadata/labels', value: { a: 'b' } }]);
  assert.deepEqual(m.warnings, ['w1']);
});

test('refusals as webhook/errors.ToStatusErr words them', () => {
  const e1 = deniedStatus('deny.example.com', { message: 'no latest tags', code: 403 });
  assert.equal(e1.message, 'admission webhook "deny.example.com" denied the request: no latest tags');
  assert.equal(e1.code, 403);
  const e2 = deniedStatus('deny.example.com', undefined);
  assert.equal(e2.message, 'admission webhook "deny.example.com" denied the request without explanation');
  assert.equal(e2.code, 400);
  assert.equal(
    deniedStatus('d.example.com', { reason: 'Nope', code: 200 }).message,
    'admission webhook "d.example.com" denied the request: Nope',
  );
  assert.equal(deniedStatus('d.example.com', { reason: 'Nope', code: 200 }).code, 400);
});

test('configuration defaults and validation (kube v1 defaults, worded field errors)', () => {
  const cfg: KObject = {
    webhooks: [
      {
        name: 'pods.example.com',
        clientConfig: { service: { namespace: 'default', name: 'hook' } },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
      },
    ],
  };
  defaultAdmissionConfig('mutatingwebhookconfigurations', cfg);
  const w = cfg.webhooks[0];
  assert.equal(w.failurePolicy, 'Fail');
  assert.equal(w.matchPolicy, 'Equivalent');
  assert.equal(w.timeoutSeconds, 10);
  assert.equal(w.reinvocationPolicy, 'Never');
  assert.equal(w.clientConfig.service.port, 443);
  assert.equal(w.rules[0].scope, '*');
  assert.deepEqual(validateAdmissionConfig('mutatingwebhookconfigurations', cfg), []);
  const badCfg: KObject = {
    webhooks: [{ name: 'short', clientConfig: { url: 'http://x/y' }, rules: [], admissionReviewVersions: ['v9'] }],
  };
  defaultAdmissionConfig('validatingwebhookconfigurations', badCfg);
  const errs = validateAdmissionConfig('validatingwebhookconfigurations', badCfg).map((e) => `${e.field}: ${e.type}`);
  assert.deepEqual(errs.sort(), [
    'webhooks[0].admissionReviewVersions: FieldValueInvalid',
    'webhooks[0].clientConfig.url: FieldValueInvalid',
    'webhooks[0].name: FieldValueInvalid',
    'webhooks[0].sideEffects: FieldValueRequired',
  ]);
  const policy: KObject = {
    spec: { matchConstraints: { resourceRules: [] }, validations: [{ expression: 'object.' }] },
  };
  defaultAdmissionConfig('validatingadmissionpolicies', policy);
  const perrs = validateAdmissionConfig('validatingadmissionpolicies', policy).map((e) => e.field);
  assert.deepEqual(perrs.sort(), ['spec.matchConstraints.resourceRules', 'spec.validations[0].expression']);
});

function policySetup() {
  const store = new ObjectStore(new MemoryBackend());
  const nsR = res('', 'v1', 'namespaces');
  store.create(nsR, '', { metadata: { name: 'default', labels: { env: 'prod' } } });
  const configs = new AdmissionConfigurations(store, catalog);
  const plugin = new ValidatingAdmissionPolicyPlugin(configs, {
    store,
    catalog,
    namespace: (n) => store.tryGet(nsR, '', n),
  });
  let rv = 1;
  const put = (plural: string, obj: KObject) => {
    defaultAdmissionConfig(plural, obj);
    assert.deepEqual(validateAdmissionConfig(plural, obj), []);
    obj.metadata!.resourceVersion = String(rv++);
    configs.observe(res('admissionregistration.k8s.io', 'v1', plural), obj, false);
  };
  return { store, configs, plugin, put };
}

const deployRule = {
  resourceRules: [
    { operations: ['CREATE', 'UPDATE'], apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments'] },
  ],
};
const deployment = (replicas: number, labels: Record<string, string> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', labels },
  spec: { replicas },
});

test('ValidatingAdmissionPolicy: Deny with message, messageExpression, variables, reason and wording', () => {
  const { plugin, put } = policySetup();
  put('validatingadmissionpolicies', {
    metadata: { name: 'max-replicas' },
    spec: {
      matchConstraints: deployRule,
      variables: [{ name: 'limit', expression: '5' }],
      validations: [
        {
          expression: 'object.spec.replicas <= variables.limit',
          messageExpression: '"replicas " + string(object.spec.replicas) + " > " + string(variables.limit)',
        },
        { expression: 'has(object.metadata.labels.team)', reason: 'Forbidden' },
      ],
    },
  });
  const deploys = res('apps', 'v1', 'deployments');
  const run = (obj: KObject) => plugin.validate(attrs({ resource: deploys, name: 'web', object: obj, warnings: [] }));
  // No binding: the policy is not in force.
  run(deployment(9));
  put('validatingadmissionpolicybindings', {
    metadata: { name: 'max-replicas-binding' },
    spec: { policyName: 'max-replicas', validationActions: ['Deny'] },
  });
  run(deployment(3, { team: 'a' }));
  assert.throws(
    () => run(deployment(9, { team: 'a' })),
    (e: ApiError) => {
      assert.equal(e.code, 422);
      assert.equal(e.reason, 'Invalid');
      assert.equal(
        e.message,
        `deployments.apps "web" is forbidden: ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas-binding' denied request: replicas 9 > 5`,
      );
      assert.deepEqual(e.details?.causes, [
        {
          message: `ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas-binding' denied request: replicas 9 > 5`,
        },
      ]);
      return true;
    },
  );
  assert.throws(
    () => run(deployment(2)),
    (e: ApiError) =>
      e.code === 403 &&
      e.reason === 'Forbidden' &&
      e.message.endsWith('denied request: failed expression: has(object.metadata.labels.team)'),
  );
  // Other kinds are not matched.
  plugin.validate(attrs({ resource: res('', 'v1', 'pods'), object: { metadata: { name: 'p' } } }));
});

test('ValidatingAdmissionPolicy: Warn, params by name and selector, parameterNotFoundAction, failurePolicy', () => {
  const { store, plugin, put } = policySetup();
  const cms = res('', 'v1', 'configmaps');
  store.create(cms, 'default', {
    metadata: { name: 'limits', namespace: 'default', labels: { kind: 'limit' } },
    data: { max: '4' },
  });
  put('validatingadmissionpolicies', {
    metadata: { name: 'param-limit' },
    spec: {
      paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
      matchConstraints: deployRule,
      validations: [{ expression: 'object.spec.replicas <= int(params.data.max)', message: 'too many replicas' }],
    },
  });
  put('validatingadmissionpolicybindings', {
    metadata: { name: 'warn-by-name' },
    spec: { policyName: 'param-limit', validationActions: ['Warn'], paramRef: { name: 'limits' } },
  });
  const deploys = res('apps', 'v1', 'deployments');
  const warnings: string[] = [];
  plugin.validate(attrs({ resource: deploys, name: 'web', object: deployment(6), warnings }));
  assert.deepEqual(warnings, [
    "Validation failed for ValidatingAdmissionPolicy 'param-limit' with binding 'warn-by-name': too many replicas",
  ]);
  put('validatingadmissionpolicybindings', {
    metadata: { name: 'deny-missing' },
    spec: {
      policyName: 'param-limit',
      validationActions: ['Deny'],
      paramRef: { selector: { matchLabels: { kind: 'absent' } }, parameterNotFoundAction: 'Deny' },
    },
  });
  assert.throws(
    () => plugin.validate(attrs({ resource: deploys, name: 'web', object: deployment(1), warnings: [] })),
    (e: ApiError) =>
      e.message.endsWith(
        "ValidatingAdmissionPolicy 'param-limit' with binding 'deny-missing' denied request: failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction",
      ),
  );
  put('validatingadmissionpolicybindings', {
    metadata: { name: 'deny-missing' },
    spec: {
      policyName: 'param-limit',
      validationActions: ['Deny'],
      paramRef: { selector: { matchLabels: { kind: 'limit' } }, parameterNotFoundAction: 'Allow' },
    },
  });
  plugin.validate(attrs({ resource: deploys, name: 'web', object: deployment(4), warnings: [] }));
  assert.throws(
    () => plugin.validate(attrs({ resource: deploys, name: 'web', object: deployment(5), warnings: [] })),
    /too many replicas/,
  );
  // An expression that fails at runtime: Fail denies with the evaluation error, Ignore lets it pass.
  put('validatingadmissionpolicies', {
    metadata: { name: 'broken' },
    spec: { matchConstraints: deployRule, validations: [{ expression: 'object.spec.missing > 1' }] },
  });
  put('validatingadmissionpolicybindings', {
    metadata: { name: 'broken-binding' },
    spec: { policyName: 'broken', validationActions: ['Deny'] },
  });
  assert.throws(
    () => plugin.validate(attrs({ resource: deploys, name: 'web', object: deployment(1), warnings: [] })),
    (e: ApiError) =>
      e.message.includes(
        "ValidatingAdmissionPolicy 'broken' with binding 'broken-binding' denied request: expression 'object.spec.missing > 1' resulted in error: no such key: missing",
      ),
  );
  put('validatingadmissionpolicies', {
    metadata: { name: 'broken' },
    spec: {
      matchConstraints: deployRule,
      failurePolicy: 'Ignore',
      validations: [{ expression: 'object.spec.missing > 1' }],
    },
  });
  plugin.validate(attrs({ resource: deploys, name: 'web', object: deployment(1), warnings: [] }));
});
