import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFixedLikeGo, ProbabilityCache } from '../../../cluster/proxy/probability.js';

test('probabilities are 1/n with ten decimals, as current kube-proxy writes them', () => {
  const p = new ProbabilityCache();
  assert.deepEqual(
    [6, 5, 4, 3, 2].map((n) => p.probability(n)),
    ['0.1666666667', '0.2000000000', '0.2500000000', '0.3333333333', '0.5000000000'],
  );
  assert.equal(p.probability(1), '1.0000000000');
  assert.equal(p.probability(10), '0.1000000000');
  assert.equal(p.probability(7), '0.1428571429');
});

test('exact ties round to even as Go does (1/2048 = 0.00048828125), unlike toFixed', () => {
  assert.equal(formatFixedLikeGo(1 / 2048, 10), '0.0004882812');
  assert.equal((1 / 2048).toFixed(10), '0.0004882813');
  // The article's older kube-proxy used five decimals: 0.16667 (iptables-save then prints 0.16667000018).
  assert.equal(formatFixedLikeGo(1 / 6, 5), '0.16667');
});

test('a bad n is refused', () => {
  assert.throws(() => new ProbabilityCache().probability(0), RangeError);
});
