// The command-line kit of the platform's commands: strict flag parsing per subcommand, --help everywhere,
// and usage errors (exit 2) that name what was wrong.
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';

/** A command line the command cannot run: the message names the flag or argument; exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message);
  }
}

export interface CommandLine {
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
}

export interface CommandShape {
  readonly usage: string;
  readonly options?: ParseArgsOptionsConfig;
  /** How many positional arguments the command takes (default none). */
  readonly positionals?: { readonly min: number; readonly max: number };
}

/**
 * The parsed command line, or 'help' when it asks for help (`--help` or `-h` anywhere: nothing runs).
 * Unknown flags, a flag without its value and surplus or missing arguments are UsageErrors.
 */
export function parseCommandLine(args: readonly string[], shape: CommandShape): CommandLine | 'help' {
  if (args.includes('--help') || args.includes('-h')) return 'help';
  let parsed: { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...args], options: shape.options ?? {}, strict: true, allowPositionals: true });
  } catch (error) {
    // node:util names the flag in its message ("Unknown option '--x'", "Option '--rows <value>' argument missing").
    throw new UsageError(
      error instanceof Error ? (error.message.split('. ')[0] ?? error.message) : String(error),
      shape.usage,
    );
  }
  const { min, max } = shape.positionals ?? { min: 0, max: 0 };
  if (parsed.positionals.length > max) {
    throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[max])}`, shape.usage);
  }
  if (parsed.positionals.length < min) throw new UsageError('missing argument', shape.usage);
  const values: Record<string, string | boolean | undefined> = {};
  for (const [name, value] of Object.entries(parsed.values)) values[name] = Array.isArray(value) ? value.at(-1) : value;
  return { values, positionals: parsed.positionals };
}

/** A whole number ≥ 0 from a string flag, or undefined when the flag is absent. */
export function wholeNumberFlag(line: CommandLine, name: string, usage: string): number | undefined {
  const raw = line.values[name];
  if (raw === undefined || typeof raw === 'boolean') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new UsageError(`--${name} ${raw}: expected a whole number`, usage);
  return value;
}

export function stringFlag(line: CommandLine, name: string): string | undefined {
  const raw = line.values[name];
  return typeof raw === 'string' ? raw : undefined;
}

export function booleanFlag(line: CommandLine, name: string): boolean {
  return line.values[name] === true;
}

/** Runs a parsed command: usage on --help (exit 0), usage and the problem on a UsageError (exit 2). */
export async function runCommand(
  args: readonly string[],
  shape: CommandShape,
  run: (line: CommandLine) => Promise<number> | number,
): Promise<number> {
  try {
    const line = parseCommandLine(args, shape);
    if (line === 'help') {
      console.log(shape.usage);
      return 0;
    }
    return await run(line);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n${error.usage}`);
    return 2;
  }
}
