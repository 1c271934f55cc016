// The command table: one module per command under cli/commands/. A command returns its exit code.
import { apiserver } from './apiserver.js';
import { desktop } from './desktop.js';
import { kubeconfig } from './kubeconfig.js';
import { serve } from './serve.js';

export type Command = (args: string[]) => Promise<number>;

export const commands: Record<string, Command> = {
  serve,
  desktop,
  kubeconfig,
  apiserver,
};
