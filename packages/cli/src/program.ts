/**
 * The `kassa` command line: commander parses it, each command lives in commands/, and every
 * outcome ends here as an exit code (errors.ts). Errors go to stderr: Kassa's own message with
 * its code (as JSON with `--json`), commander's for a usage mistake.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ApiError, CliError, ExitCode } from './errors.js';
import type { Env } from './credentials.js';
import type { Io } from './output.js';
import type { Context } from './commands/common.js';
import { keysCommand } from './commands/keys.js';
import { listenCommand } from './commands/listen.js';
import { merchantsCommand } from './commands/merchants.js';
import { providerAccountsCommand } from './commands/provider-accounts.js';
import { paymentsCommand } from './commands/payments.js';
import { serveCommand } from './commands/serve.js';
import { reconcileCommand } from './commands/reconcile.js';
import { triggerCommand } from './commands/trigger.js';

export { ExitCode } from './errors.js';
export { TRIGGERS } from './commands/trigger.js';

// src/ and dist/ are both one level below the package.
const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  failure: the server did not start, a flow did not end as expected
  2  usage: unknown command or flag, bad value, invalid config file, no key to use
  3  Kassa refused the request (a 4xx: bad key, unknown object, invalid parameter, decline)
  4  Kassa could not be reached (connection refused, unknown host, timeout)
  5  Kassa failed (a 5xx): retrying may help
`;

export function createProgram(ctx: Context): Command {
  const program = new Command('kassa')
    .description('Kassa, the self-hosted checkout: run the server, onboard merchants, follow and trigger events')
    .version(VERSION, '-v, --version')
    // Subcommands made by .command() inherit these; the ones made with new Command() get them from addCommand's copy below.
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.io.out(s), writeErr: (s) => ctx.io.err(s) })
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError(true)
    .addHelpText('after', EXIT_CODES_HELP);

  for (const command of [
    serveCommand(ctx),
    merchantsCommand(ctx),
    providerAccountsCommand(ctx),
    keysCommand(ctx),
    paymentsCommand(ctx),
    listenCommand(ctx),
    triggerCommand(ctx),
    reconcileCommand(ctx),
  ]) {
    inheritSettings(program, command);
    program.addCommand(command);
  }
  return program;
}

/** addCommand takes a command as it is; give it (and its own subcommands) the program's output and exit handling. */
function inheritSettings(program: Command, command: Command): void {
  command.copyInheritedSettings(program);
  for (const sub of command.commands) inheritSettings(program, sub);
}

function printError(ctx: Context, error: CliError, json: boolean): void {
  if (error instanceof ApiError) {
    if (json) {
      ctx.io.err(`${JSON.stringify({ error: { ...error.body, status: error.status } })}\n`);
      return;
    }
    const { code, param, decline_code: decline } = error.body;
    const detail = [code, decline && decline !== code ? `decline_code ${decline}` : undefined, param ? `param ${param}` : undefined, `HTTP ${error.status}`]
      .filter(Boolean)
      .join(', ');
    ctx.io.err(`kassa: ${error.message} (${detail})\n`);
    return;
  }
  if (json) ctx.io.err(`${JSON.stringify({ error: { type: 'cli_error', message: error.message, exit_code: error.exitCode } })}\n`);
  else ctx.io.err(`kassa: ${error.message}\n`);
}

/** Runs one command line (without `node` and the script) and answers its exit code. */
export async function run(argv: readonly string[], deps: { io: Io; env: Env; cwd: string; signal: AbortSignal }): Promise<number> {
  const ctx: Context = { ...deps, version: VERSION };
  const program = createProgram(ctx);
  const json = argv.includes('--json');
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ExitCode.Ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end with code 0; every other commander error is a usage mistake
      // (commander has printed it), including a command group called without its subcommand.
      return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    if (error instanceof CliError) {
      printError(ctx, error, json);
      return error.exitCode;
    }
    if (deps.signal.aborted) return 130; // stopped by Ctrl-C while a request was under way: the shell's own code
    ctx.io.err(`kassa: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return ExitCode.Failure;
  }
}
