// Runs a program with an argument array (never a shell) and returns its exit code and output.
// node:child_process rather than execa here: the topology poll runs `ip` per namespace twice a
// second, and execFile costs about half as much per call (measured 3.3 vs 6.2 ms).
import { execFile } from 'node:child_process';

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}
export type RunCommand = (
  argv: readonly string[],
  opts?: { timeoutMs?: number; input?: string },
) => Promise<CommandResult>;

export const runCommand: RunCommand = (argv, opts = {}) => {
  const [file, ...args] = argv;
  if (!file) return Promise.reject(new Error('runCommand: empty argv'));
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {
        timeout: opts.timeoutMs ?? 10_000,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, LC_ALL: 'C' },
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        if (err && typeof (err as { code?: unknown }).code !== 'number') {
          // Could not start, or killed by the timeout: not an exit status.
          if ((err as { killed?: boolean }).killed)
            return resolve({ exitCode: -1, stdout, stderr: `${stderr}timed out after ${opts.timeoutMs ?? 10_000} ms` });
          return reject(err);
        }
        resolve({ exitCode: err ? Number((err as { code: number }).code) : 0, stdout, stderr });
      },
    );
    child.stdin?.on('error', () => {}); // the program may exit before reading its input
    child.stdin?.end(opts.input ?? '');
  });
};
