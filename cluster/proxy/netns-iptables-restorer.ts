// IptablesRestorer for nodes that are network namespaces on this machine: runs
// `ip netns exec <ns> iptables-restore` through execa with an argument array (no shell).
import { execa } from 'execa';
import { ValidationError } from '../../common/errors.js';
import type { HostDriver } from '../../runtime/host/host-driver.js';
import { IptablesRestoreError, linesAround, NETNS_NAME, type IptablesRestorer } from './iptables-restorer.js';

const RESTORE_ARGS = ['iptables-restore', '--noflush', '--counters', '-w', '5'];

function checkNetns(netns: string): void {
  if (!NETNS_NAME.test(netns)) throw new ValidationError('iptables-restore', `not a network namespace name: ${JSON.stringify(netns)}`);
}

export class NetnsIptablesRestorer implements IptablesRestorer {
  async restore(netns: string, text: string): Promise<void> {
    checkNetns(netns);
    const r = await execa('ip', ['netns', 'exec', netns, ...RESTORE_ARGS], { input: text, reject: false });
    if (r.exitCode !== 0) throw new IptablesRestoreError(netns, r.stderr || String(r.exitCode), linesAround(text, r.stderr));
  }

  async save(netns: string): Promise<string> {
    checkNetns(netns);
    const r = await execa('ip', ['netns', 'exec', netns, 'iptables-save'], { reject: false });
    if (r.exitCode !== 0) throw new IptablesRestoreError(netns, r.stderr || `iptables-save exited ${r.exitCode}`, '');
    return r.stdout;
  }
}

/** The same through the runtime's HostDriver, so an SSH node works the same way. */
export class HostDriverIptablesRestorer implements IptablesRestorer {
  constructor(private readonly host: HostDriver) {}

  async restore(netns: string, text: string): Promise<void> {
    checkNetns(netns);
    const r = await this.host.exec(netns, RESTORE_ARGS, { input: text });
    if (r.exitCode !== 0) throw new IptablesRestoreError(netns, r.stderr || String(r.exitCode), linesAround(text, r.stderr));
  }

  async save(netns: string): Promise<string> {
    checkNetns(netns);
    const r = await this.host.exec(netns, ['iptables-save']);
    if (r.exitCode !== 0) throw new IptablesRestoreError(netns, r.stderr || `iptables-save exited ${r.exitCode}`, '');
    return r.stdout;
  }
}
