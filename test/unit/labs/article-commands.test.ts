// labs/article-commands.yaml parses: unique ids, every non-verbatim command says why, regexes
// compile; and the format's checks refuse what they should.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadArticleCommands, parseArticleCommands } from '../../../runtime/guide/article-commands.js';
import { projectRoot } from '../../../runtime/project-root.js';

test('the article commands file: every command the article prints, with a place and checks', () => {
  const d = loadArticleCommands(join(projectRoot(), 'labs', 'article-commands.yaml'));
  assert.ok(d.commands.length >= 40, `only ${d.commands.length} commands`);
  const by = new Map(d.commands.map((c) => [c.id, c]));
  assert.equal(by.get('iptables-nat')!.verbatim, true);
  assert.equal(by.get('iptables-nat')!.where, 'node5');
  assert.ok(
    by
      .get('iptables-nat')!
      .expect.some((r) =>
        r.test(
          'KUBE-SEP-DHEI6HLVRKMGWFA5  0    --  0.0.0.0/0            0.0.0.0/0            statistic mode random probability 0.16667000018',
        ),
      ),
  );
  for (const c of d.commands) {
    assert.equal(c.pending, undefined, `${c.id} is still pending: ${c.pending}`);
    if (!c.verbatim) assert.ok(c.why, c.id);
  }
  // The article's docker commands on the pods run through the node's own docker, in its container.
  for (const id of ['docker-exec-ip-route', 'docker-inspect-pause', 'docker-network-inspect']) {
    assert.equal(by.get(id)!.shell, 'node-container', id);
    assert.match(by.get(id)!.run, /^docker /, id);
  }
});

test('the format refuses duplicate ids, silent equivalents and bad regexes', () => {
  const one = (extra: string) => `commands:\n  - { id: a, section: s, article: ls, where: node5 }\n${extra}`;
  assert.throws(
    () => parseArticleCommands(one('  - { id: a, section: s, article: ls, where: node5 }\n'), 'f'),
    /duplicate id a/,
  );
  assert.throws(
    () => parseArticleCommands(one('  - { id: b, section: s, article: ls, run: ls -l, where: node5 }\n'), 'f'),
    /must say why/,
  );
  assert.throws(
    () => parseArticleCommands(one("  - { id: c, section: s, article: ls, where: node5, expect: ['('] }\n"), 'f'),
    /not a regular expression/,
  );
  assert.throws(() => parseArticleCommands(one('  - { id: d, section: s, article: ls, where: host }\n'), 'f'), /where/);
  assert.throws(
    () =>
      parseArticleCommands(one('  - { id: e, section: s, article: ls, where: kubectl, shell: node-container }\n'), 'f'),
    /node-container, with where: nodeN/,
  );
});
