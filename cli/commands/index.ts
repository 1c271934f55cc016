// The command table: one module per command under cli/commands/. A command returns its exit code.
export type Command = (args: string[]) => Promise<number>;

export const commands: Record<string, Command> = {};
