// The guide service on the project's real labs/ folder (reading only: nothing is started).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { GuideService } from '../../../server/guide/guide-service.js';
import { LabRunner } from '../../../runtime/guide/lab-runner.js';
import { cliLabEnvironment } from '../../../runtime/guide/cli-lab-environment.js';
import { guideRequestValidators } from '../../../common/guide-contract.js';

const root = process.env.KUBEWIRE_ROOT ?? process.cwd();
const labsRoot = join(root, 'labs');

function service(existing: string[]): GuideService {
  return new GuideService({
    labsRoot,
    runner: new LabRunner(cliLabEnvironment('kw-tguide-', '/tmp/kubewire-guide-unit'), join(labsRoot, 'lib', 'lab.sh')),
    prefix: 'kw-tguide-',
    namespaceExists: (n) => existing.includes(n),
  });
}

test('lists the labs and shows veth-by-hand with its terminals and runnable blocks', () => {
  const g = service([]);
  assert.ok(g.list().some((l) => l.id === 'veth-by-hand' && l.steps >= 7));
  const lab = g.show('veth-by-hand');
  assert.deepEqual(
    lab.terminals.find((t) => t.name === 'node5'),
    { name: 'node5', namespace: 'kw-tguide-node5' },
  );
  assert.equal(lab.terminals.find((t) => t.name === 'container')!.namespace, 'kw-tguide-demo');
  assert.ok(
    lab.stepList[0]!.commands.some((c) => c.terminal === 'node5' && c.lines.some((l) => l.includes('unshare --net'))),
  );
  assert.throws(() => g.show('nope'), /no lab "nope"/);
  assert.equal(g.variables('veth-by-hand').CONTAINER, 'kw-tguide-demo');
});

test('terminal targets resolve to the lab namespaces, before and after the lab is up', () => {
  assert.equal(service([]).namespaceOf('node5'), 'kw-tguide-node5');
  assert.equal(service(['kw-tguide-default_tools']).namespaceOf('tools'), 'kw-tguide-default_tools');
  assert.equal(service([]).namespaceOf('default/kubia-24hmb'), 'kw-tguide-default_kubia-24hmb');
  assert.equal(service([]).namespaceOf('{prefix}demo'), 'kw-tguide-demo');
  assert.equal(service([]).namespaceOf('gateway'), 'kw-tguide-gateway');
});

test('guide requests are validated', () => {
  assert.deepEqual(guideRequestValidators['guide.check']({ id: 'veth-by-hand', step: 2 }, 'c'), {
    id: 'veth-by-hand',
    step: 2,
  });
  assert.throws(() => guideRequestValidators['guide.check']({ id: '../etc', step: 2 }, 'c'), /c.id/);
  assert.throws(() => guideRequestValidators['guide.solve']({ id: 'x', step: 0 }, 's'), /s.step/);
});
