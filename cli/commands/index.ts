// The command table: one module per command under cli/commands/. A command returns its exit code.
import { apiserver } from './apiserver.js';
import { cluster } from './cluster.js';
import { controllerManager } from './controller-manager.js';
import { desktop } from './desktop.js';
import { doctor } from './doctor.js';
import { down } from './down.js';
import { exec } from './exec.js';
import { image } from './image.js';
import { kubeconfig } from './kubeconfig.js';
import { reset } from './reset.js';
import { scheduler } from './scheduler.js';
import { serve } from './serve.js';
import { start } from './start.js';
import { status } from './status.js';
import { trace } from './trace.js';
import { up } from './up.js';
import { labCommand } from './lab.js';
import { node } from './node.js';
import { podExec } from './pod-exec.js';

export type Command = (args: string[]) => Promise<number>;

export const commands: Record<string, Command> = {
  serve,
  desktop,
  kubeconfig,
  apiserver,
  'controller-manager': controllerManager,
  scheduler,
  up,
  status,
  exec,
  down,
  reset,
  doctor,
  start,
  lab: labCommand,
  trace,
  image,
  cluster,
  node,
  'pod-exec': podExec,
};
