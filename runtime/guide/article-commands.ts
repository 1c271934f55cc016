// labs/article-commands.yaml: every command the article prints, where it runs in the default lab
// and what must appear. Read and checked here (for its test and for guided labs that cite entries
// by id); the format is described at the top of the file.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ValidationError } from '../../common/errors.js';
import { FieldReader } from '../../common/topology/field-reader.js';

export interface ArticleCommand {
  id: string;
  section: string;
  article: string;
  /** What runs: `run` when given, else `article` verbatim. */
  run: string;
  verbatim: boolean;
  why?: string;
  where: string;
  cwd?: 'node-dir';
  /** node-container: in the node's container, as a node terminal is (its crictl and docker). */
  shell?: 'node-container';
  setup?: string;
  expect: RegExp[];
  fails: boolean;
  pending?: string;
}

export interface ArticleCommands {
  commands: ArticleCommand[];
  cleanup: { where: string; run: string }[];
}

const ID = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const WHERE = /^(node[0-9]+|pod:[a-z0-9-]+\/[a-z0-9-]+|kubectl|internet|gateway)$/;
const FIELDS = [
  'id',
  'section',
  'article',
  'run',
  'why',
  'where',
  'cwd',
  'shell',
  'setup',
  'expect',
  'fails',
  'pending',
];

export function parseArticleCommands(text: string, file: string): ArticleCommands {
  const root = new FieldReader(file, '', parse(text)).object(['commands', 'cleanup']);
  const ids = new Set<string>();
  const commands = root
    .child('commands')
    .list()
    .map((c) => {
      c.object(FIELDS);
      const id = c.child('id').string({ pattern: ID, describe: 'must be kebab-case' });
      if (ids.has(id)) c.child('id').fail(`duplicate id ${id}`);
      ids.add(id);
      const article = c.child('article').string();
      const run = c.child('run').string({ optional: true });
      const pending = c.child('pending').string({ optional: true });
      const why = c.child('why').string({ optional: true });
      if (run && !why && !pending)
        c.child('why').fail('a command that does not run verbatim must say why (why or pending)');
      const where = c.child('where').string({
        optional: !!pending && !run,
        pattern: WHERE,
        describe: 'must be nodeN, pod:<ns>/<name>, kubectl, internet or gateway',
      });
      const cwd = c.child('cwd').string({ optional: true });
      if (cwd && cwd !== 'node-dir') c.child('cwd').fail('must be node-dir');
      const shell = c.child('shell').string({ optional: true });
      if (shell && (shell !== 'node-container' || !/^node[0-9]+$/.test(where ?? '')))
        c.child('shell').fail('must be node-container, with where: nodeN');
      const expect = (c.child('expect').stringList() ?? []).map((r, i) => {
        try {
          return new RegExp(r, 'm');
        } catch (err) {
          return c
            .child('expect')
            .child(i)
            .fail(`not a regular expression: ${(err as Error).message}`);
        }
      });
      const fails = c.child('fails').present ? c.child('fails').value === true : false;
      const setup = c.child('setup').string({ optional: true });
      const out: ArticleCommand = {
        id,
        section: c.child('section').string(),
        article,
        run: run || article,
        verbatim: !run,
        where,
        expect,
        fails,
      };
      if (why) out.why = why;
      if (pending) out.pending = pending;
      if (cwd) out.cwd = 'node-dir';
      if (shell) out.shell = 'node-container';
      if (setup) out.setup = setup;
      return out;
    });
  if (commands.length === 0) throw new ValidationError(file, 'no commands');
  const cleanup = root
    .child('cleanup')
    .list()
    .map((c) => {
      c.object(['where', 'run']);
      return {
        where: c
          .child('where')
          .string({ pattern: WHERE, describe: 'must be nodeN, pod:<ns>/<name>, kubectl, internet or gateway' }),
        run: c.child('run').string(),
      };
    });
  return { commands, cleanup };
}

export function loadArticleCommands(file: string): ArticleCommands {
  return parseArticleCommands(readFileSync(file, 'utf8'), file);
}
