/** One CLI sub-command. `run` returns the process exit code. */
export interface CliCommand {
  readonly name: string;
  /** One line for `ballotsafe help`. */
  readonly summary: string;
  /** Usage line(s), e.g. "ballotsafe verify <drive-or-folder>". */
  readonly usage: string;
  run(argv: readonly string[]): Promise<number>;
}
