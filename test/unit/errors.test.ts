import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeError, ValidationError, KubewireError } from '../../common/errors.js';

test('describeError joins the cause chain in one line', () => {
  const inner = new ValidationError('labs/topologies/x.yaml: nodes[1].subnet', 'overlaps nodes[0].subnet');
  const outer = new KubewireError('cannot bring the lab up', { cause: inner });
  assert.equal(
    describeError(outer),
    'cannot bring the lab up: labs/topologies/x.yaml: nodes[1].subnet: overlaps nodes[0].subnet',
  );
});
