// The command line through util.parseArgs (cli/args.ts): every command refuses an unknown flag,
// a missing value or a value given to a switch, naming the command and the flag, before it does
// anything; `--flag=value` and `--flag value` are the same; `--help` lists every flag it takes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { execa } from 'execa';
import { HelpRequest, UsageError, parseCommandLine } from '../../../cli/args.js';
import { commands } from '../../../cli/commands/index.js';
import { labCommandSpec, parseLabOptions } from '../../../cli/commands/lab-context.js';
import { UP } from '../../../cli/commands/up.js';
import { exec } from '../../../cli/commands/exec.js';
import { parseServeArgs } from '../../../cli/commands/serve.js';
import { projectRoot } from '../../../runtime/project-root.js';

const ENV = { KUBEWIRE_STATE_DIR: '/nonexistent/kw-args-test' };

function usageError(command: string, problem: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof UsageError, `not a UsageError: ${String(err)}`);
    assert.equal(err.command, command);
    assert.match(err.message, new RegExp(`^kubewire ${command}: `));
    assert.match(err.message, problem);
    assert.match(err.usage, new RegExp(`^usage: kubewire ${command}`));
    return true;
  };
}

test('--flag=value and --flag value are the same; switches and positionals in any order', () => {
  const a = parseLabOptions(UP, ['--prefix=kw-ab-', 'lab.yaml', '--lab', 'two', '--dry-run'], ENV);
  const b = parseLabOptions(UP, ['--dry-run', '--prefix', 'kw-ab-', '--lab=two', 'lab.yaml'], ENV);
  for (const o of [a, b]) {
    assert.equal(o.prefix, 'kw-ab-');
    assert.equal(o.lab, 'two');
    assert.deepEqual(o.rest, ['lab.yaml']);
    assert.equal(o.flags['dry-run'], true);
    assert.equal(o.stateBase, ENV.KUBEWIRE_STATE_DIR);
  }
  assert.equal(parseLabOptions(UP, ['--state-dir=/x', '--concurrency=8'], ENV).stateBase, '/x');
  assert.equal(parseLabOptions(UP, ['--concurrency', '8'], ENV).concurrency, 8);
});

test('an unknown flag is refused, naming it and the command (it was read as a file name or ignored)', () => {
  assert.throws(() => parseLabOptions(UP, ['--dry-runn'], ENV), usageError('up', /unknown option '--dry-runn'/));
  assert.throws(() => parseLabOptions(UP, ['--bogus=1'], ENV), usageError('up', /unknown option '--bogus'/));
  assert.throws(() => parseLabOptions(UP, ['-x'], ENV), usageError('up', /unknown option '-x'/));
});

test('a missing value is named, also when the next word is another flag', () => {
  assert.throws(() => parseLabOptions(UP, ['--lab'], ENV), usageError('up', /--lab needs a value/));
  assert.throws(
    () => parseLabOptions(UP, ['--prefix', '--dry-run'], ENV),
    usageError('up', /--prefix needs a value, got the option '--dry-run'/),
  );
  assert.throws(() => parseLabOptions(UP, ['--dry-run=yes'], ENV), usageError('up', /--dry-run takes no value/));
});

test('too many or too few arguments are usage errors of the command', () => {
  assert.throws(() => parseLabOptions(UP, ['a.yaml', 'b.yaml'], ENV), usageError('up', /at most 1 argument/));
  const node = labCommandSpec({ command: 'node', usage: 'usage: kubewire node X Y', positionals: { min: 2, max: 2 } });
  assert.throws(() => parseLabOptions(node, ['stop'], ENV), usageError('node', /wants 2 arguments, got 1/));
  const down = labCommandSpec({ command: 'down', usage: 'usage: kubewire down' });
  assert.throws(() => parseLabOptions(down, ['now'], ENV), usageError('down', /takes no arguments \(got 'now'\)/));
});

test("what follows -- is the command's own, flags included (exec TARGET -- CMD...)", () => {
  const spec = labCommandSpec({
    command: 'exec',
    usage: 'usage: kubewire exec TARGET -- CMD...',
    positionals: { min: 1, max: 1 },
    passThrough: true,
  });
  const o = parseLabOptions(spec, ['node5', '--lab', 'two', '--', 'ls', '--lab', '-h', '--'], ENV);
  assert.deepEqual(o.rest, ['node5']);
  assert.equal(o.lab, 'two');
  assert.deepEqual(o.command, ['ls', '--lab', '-h', '--']);
});

test("exec without '--' says where the command goes, before it looks for the lab", async () => {
  await assert.rejects(
    exec(['node5', 'ip', 'a']),
    usageError('exec', /the command goes after '--': kubewire exec node5 -- ip a$/),
  );
  await assert.rejects(exec(['node5']), usageError('exec', /no command after '--'/));
  await assert.rejects(
    exec(['node5', 'ip', '-br', 'a']),
    usageError('exec', /unknown option '-b'.*; a command's own flags go after '--'/),
  );
});

test('names given by flags still go through common/names.ts, before anything is done: usage errors', () => {
  assert.throws(
    () => parseLabOptions(UP, ['--prefix', 'kw-$(id)-'], ENV),
    usageError('up', /--prefix: 'kw-\$\(id\)-'/),
  );
  assert.throws(() => parseLabOptions(UP, ['--lab=../etc'], ENV), usageError('up', /--lab: '\.\.\/etc'/));
  assert.throws(() => parseLabOptions(UP, ['--concurrency', '2x'], ENV), usageError('up', /--concurrency: .*'2x'/));
  // serve/desktop check the prefix before they look for the lab's kubeconfig.
  assert.throws(() => parseServeArgs(['--prefix', 'kw-;rm-'], 'serve', ENV), /--prefix.*not a lab prefix/);
  assert.throws(() => parseServeArgs(['--port=70000'], 'desktop', ENV), usageError('desktop', /--port: '70000'/));
  assert.equal(parseServeArgs(['--port=8080', '--kubeconfig=/k'], 'serve', ENV).port, 8080);
});

test('-h and --help ask for the usage, wherever they stand before --', () => {
  for (const args of [['--help'], ['-h'], ['x.yaml', '--help'], ['--bogus', '--help']])
    assert.throws(
      () => parseLabOptions(UP, args, ENV),
      (e: unknown) => e instanceof HelpRequest && e.usage === UP.usage,
    );
  const spec = { command: 't', usage: 'usage: kubewire t', flags: {}, passThrough: true, positionals: { max: 1 } };
  assert.deepEqual(parseCommandLine(spec, ['a', '--', '--help']).passThrough, ['--help']);
});

test("every command's --help lists each flag it takes", async () => {
  for (const [name, command] of Object.entries(commands)) {
    const err = await command(['--help']).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof HelpRequest, `kubewire ${name} --help: ${String(err)}`);
    assert.match(err.usage, new RegExp(`^usage: kubewire ${name}\\b`), name);
    assert.ok(err.flags.length > 0, name);
    for (const flag of err.flags)
      assert.match(err.usage, new RegExp(`(^|[\\s\\[|])${flag}\\b`), `kubewire ${name} --help does not list ${flag}`);
  }
});

test('every command refuses an unknown flag before it does anything', async () => {
  for (const [name, command] of Object.entries(commands)) {
    await assert.rejects(command(['--no-such-flag']), usageError(name, /unknown option '--no-such-flag'/), name);
  }
});

test('the CLI prints the usage error and the usage on stderr and exits 2; --help exits 0', async () => {
  const cli = join(projectRoot(), 'dist', 'cli', 'main.js');
  const bad = await execa(process.execPath, [cli, 'status', '--jsn'], { reject: false, env: ENV });
  assert.equal(bad.exitCode, 2, bad.stderr);
  assert.match(bad.stderr, /^kubewire status: unknown option '--jsn' \(it takes .*--json/);
  assert.match(bad.stderr, /\nusage: kubewire status/);
  assert.equal(bad.stdout, '');
  const help = await execa(process.execPath, [cli, 'lab', '--help'], { reject: false, env: ENV });
  assert.equal(help.exitCode, 0, help.stderr);
  assert.match(help.stdout, /^usage: kubewire lab list \| show ID \| run ID \[--from STEP\]/);
});
