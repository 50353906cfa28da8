/**
 * `kassa serve`: how an operator runs Kassa. Settings from flags, the environment and a config
 * file (serve-config.ts has the precedence); the default merchant's test keys and the operator
 * key are printed on the start that makes them — the only time they exist in clear — outside
 * the logger, which redacts keys. SIGINT or SIGTERM stops it gracefully (attempts in flight are
 * given back, the databases closed); a second signal does not wait.
 *
 * With `--json`, stdout carries only JSON lines (one when listening, one when stopped) and the
 * server's own log goes to stderr, so a supervisor or a test can read the start line.
 */
import { Command, Option } from 'commander';
import { LOG_LEVELS } from '@kassa/server/config';
import { readFileSync } from 'node:fs';
import { CliError, ExitCode, UsageError } from '../errors.js';
import { fields, printJson, printJsonLine } from '../output.js';
import { CONFIG_FILE, ENV_VARS, resolveServeSettings } from '../serve-config.js';
import type { ServeFlags } from '../serve-config.js';
import type { Context } from './common.js';

interface Flags extends ServeFlags {
  json?: boolean;
  printConfig?: boolean;
}

const help = `
Settings, highest precedence first: flags, then environment variables, then the config file,
then defaults. The config file is --config, else KASSA_CONFIG, else ./${CONFIG_FILE} if present:
a JSON object with any of these keys (unknown keys are refused):

  { "port": 4242, "host": "127.0.0.1", "publicUrl": "https://pay.example.com",
    "dataDir": "/var/lib/kassa", "allowedOrigins": ["https://shop.example"],
    "logLevel": "info", "widgetDir": "packages/widget/dist" }

Relative paths in the file are relative to the file. Environment variables:
${Object.entries(ENV_VARS)
  .map(([key, env]) => `  ${env.padEnd(22)} ${key}`)
  .join('\n')}
  KASSA_VAULT_KEY        the card vault's key (64 hex or base64 of 32 bytes); environment only,
                         generated into the data directory when unset (sandbox)
`;

export function serveCommand(ctx: Context): Command {
  return new Command('serve')
    .description('start the Kassa server (merchant, operator and widget APIs, webhooks, the sandbox provider)')
    .option('--config <file>', `a JSON config file (env KASSA_CONFIG; default ./${CONFIG_FILE} if present)`)
    .option('--port <port>', 'port to listen on; 0 picks a free one (default 4242)')
    .option('--host <host>', 'interface to listen on (default 127.0.0.1)')
    .option('--public-url <url>', 'the URL browsers reach Kassa at (default http://<host>:<port>)')
    .option('--data-dir <dir>', 'databases, secrets and key files (default .kassa)')
    .option('--allowed-origins <list>', "the default merchant's shop origins, comma-separated (default http://localhost:3000,http://127.0.0.1:3000)")
    .addOption(new Option('--log-level <level>', 'log level (default info)').choices(LOG_LEVELS))
    .option('--widget-dir <dir>', 'where kassa.js and the card frame are served from (default: the widget package build)')
    .option('--trust-proxy <value>', "behind a reverse proxy: true, a hop count, or addresses such as loopback (rate limits key on the client's address)")
    .option('--print-config', 'print the settings serve would start with, and where each came from, then exit')
    .option('--json', 'JSON lines on stdout (the start line holds the keys made by this start); logs go to stderr')
    .addHelpText('after', help)
    .action(async (flags: Flags) => {
      const settings = resolveServeSettings({ flags, env: ctx.env, cwd: ctx.cwd });
      // null rather than absent: every setting is listed, with where it came from.
      if (flags.printConfig) return printJson(ctx.io, { ...settings, publicUrl: settings.publicUrl ?? null, widgetDir: settings.widgetDir ?? null, trustProxy: settings.trustProxy ?? null, binTable: settings.binTable ?? null });

      // Loaded here, not at the top: the other commands never need the server's dependencies.
      const { startKassa, BinTable } = await import('@kassa/server');
      let binTable: ReturnType<typeof BinTable.parse> | undefined;
      if (settings.binTable !== undefined) {
        let text: string;
        try {
          text = readFileSync(settings.binTable, 'utf8');
        } catch (error) {
          throw new UsageError(`cannot read the BIN table ${settings.binTable}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
        }
        try {
          binTable = BinTable.parse(text, settings.binTable);
        } catch (error) {
          throw new UsageError(error instanceof Error ? error.message : String(error));
        }
      }
      let kassa: Awaited<ReturnType<typeof startKassa>>;
      try {
        kassa = await startKassa({
          dataDir: settings.dataDir,
          port: settings.port,
          host: settings.host,
          allowedOrigins: settings.allowedOrigins,
          logLevel: settings.logLevel,
          ...(settings.publicUrl !== undefined ? { publicUrl: settings.publicUrl } : {}),
          ...(settings.widgetDir !== undefined ? { widgetDistDir: settings.widgetDir } : {}),
          ...(settings.trustProxy !== undefined ? { trustProxy: settings.trustProxy } : {}),
          providerSpecs: settings.providers,
          routing: settings.routing,
          ...(binTable ? { binTable } : {}),
          ...(flags.json ? { logDestination: process.stderr } : {}),
        });
      } catch (error) {
        throw new CliError(`the server did not start: ${error instanceof Error ? error.message : String(error)}`, ExitCode.Failure, { cause: error });
      }

      if (flags.json) {
        printJsonLine(ctx.io, {
          listening: kassa.url,
          data_dir: settings.dataDir,
          config_file: settings.configFile,
          test_keys: kassa.keys
            ? { merchant: kassa.keys.merchant, secret_key: kassa.keys.secretKey, publishable_key: kassa.keys.publishableKey, file: kassa.keysFile }
            : null,
          operator_key: kassa.operatorKey ? { key: kassa.operatorKey, file: kassa.operatorKeyFile } : null,
        });
      } else {
        if (kassa.keys) {
          ctx.io.out('\nKassa test keys (shown once; also written to the keys file, mode 0600):\n');
          ctx.io.out(
            fields([
              ['  merchant', kassa.keys.merchant],
              ['  secret key', kassa.keys.secretKey],
              ['  publishable key', kassa.keys.publishableKey],
              ['  keys file', kassa.keysFile],
            ]),
          );
          ctx.io.out('\n');
        }
        if (kassa.operatorKey) {
          ctx.io.out('Kassa operator key (shown once; registers merchants and activates live mode — keep it off merchant machines):\n');
          ctx.io.out(
            fields([
              ['  operator key', kassa.operatorKey],
              ['  key file', `${kassa.operatorKeyFile} (mode 0600; delete it once the key is stored safely)`],
            ]),
          );
          ctx.io.out('\n');
        }
        ctx.io.out(`Kassa listening on ${kassa.url}${settings.configFile ? ` (config ${settings.configFile})` : ''}\n`);
      }

      // Until the owner of the process (the bin) aborts on SIGINT / SIGTERM.
      await new Promise<void>((resolve) => {
        if (ctx.signal.aborted) resolve();
        else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      if (!flags.json) ctx.io.out('Shutting down…\n');
      await kassa.close();
      if (flags.json) printJsonLine(ctx.io, { stopped: true });
      else ctx.io.out('Stopped.\n');
    });
}
