// Runs a program with an argument array (execa, never a shell) and returns its exit code and output.
import { execa } from 'execa';

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}
export type RunCommand = (argv: readonly string[], opts?: { timeoutMs?: number; input?: string }) => Promise<CommandResult>;

export const runCommand: RunCommand = async (argv, opts = {}) => {
  const [file, ...args] = argv;
  if (!file) throw new Error('runCommand: empty argv');
  const r = await execa(file, args, {
    reject: false,
    timeout: opts.timeoutMs ?? 10_000,
    input: opts.input ?? '',
    stripFinalNewline: false,
    env: { LC_ALL: 'C' },
  });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
};
