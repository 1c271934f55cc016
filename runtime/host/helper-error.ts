// A privileged helper (native-scripts/*.sh) failed: which one, with which arguments, and what it said.
import { KubewireError } from '../../common/errors.js';

export class HelperError extends KubewireError {
  constructor(
    readonly script: string,
    readonly args: readonly string[],
    readonly exitCode: number | undefined,
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    const said = stderr.trim().split('\n').filter(Boolean).slice(-3).join(' | ') || 'no message';
    super(`${script} ${args.join(' ')} failed (exit ${exitCode ?? 'signal'}): ${said}`, options);
  }
}
