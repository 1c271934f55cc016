import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shapeMoveOffset, SHAPE_STEP_PX, SHAPE_STEP_SHIFT_PX } from '../../../common/shape-move-keys.js';

test('arrow keys move a shape one step on screen, Shift further, whatever the zoom', () => {
  assert.deepEqual(shapeMoveOffset('ArrowLeft', false, 1), { x: -SHAPE_STEP_PX, y: 0 });
  assert.deepEqual(shapeMoveOffset('ArrowRight', false, 1), { x: SHAPE_STEP_PX, y: 0 });
  assert.deepEqual(shapeMoveOffset('ArrowUp', false, 1), { x: 0, y: -SHAPE_STEP_PX });
  assert.deepEqual(shapeMoveOffset('ArrowDown', true, 1), { x: 0, y: SHAPE_STEP_SHIFT_PX });
  assert.ok(SHAPE_STEP_SHIFT_PX > SHAPE_STEP_PX);
  // Zoomed in 2×, half the graph units make the same screen distance.
  assert.deepEqual(shapeMoveOffset('ArrowRight', false, 2), { x: SHAPE_STEP_PX / 2, y: 0 });
  // A broken zoom does not make the offset infinite.
  assert.deepEqual(shapeMoveOffset('ArrowRight', false, 0), { x: SHAPE_STEP_PX, y: 0 });
});

test('other keys do not move a shape', () => {
  for (const k of ['a', 'Enter', '+', '0', 'Escape', 'Tab']) assert.equal(shapeMoveOffset(k, false, 1), undefined);
});
