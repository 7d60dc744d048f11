// `synapse-pg setup`: turns flags into the setup context and runs the setup flow.
import { homedir } from 'node:os';
import { createPgAdmin, parsePgAdminSpec } from '../adapters/pg-admin.js';
import type { ParsedArgs } from '../cli/args.js';
import { portFlag } from '../cli/args.js';
import { WizardError } from '../core/errors.js';
import { runFlow, type FlowResult } from '../core/runner.js';
import { validateIdentifier } from '../pg/identifiers.js';
import type { SetupContext, SetupOptions } from '../setup/context.js';
import { setupSteps } from '../setup/flow.js';
import type { Ui } from './ui.js';

export function setupOptions(args: ParsedArgs, env: NodeJS.ProcessEnv = process.env): SetupOptions {
  const f = args.flags;
  const pgHba = f['pg-hba'] ?? 'edit';
  if (pgHba !== 'edit' && pgHba !== 'skip') throw new WizardError('BAD_INPUT', `--pg-hba "${pgHba}" is not edit or skip.`, { hint: 'Use --pg-hba skip on managed servers whose pg_hba.conf you cannot edit.' });
  return {
    configPaths: f.config,
    pgAdmin: parsePgAdminSpec(f['pg-admin'] ?? 'local'),
    dbUser: validateIdentifier('role', f['db-user'] ?? 'synapse_user', '--db-user'),
    dbName: validateIdentifier('database', f['db-name'] ?? 'synapse', '--db-name'),
    dbHost: validHost(f['db-host'] ?? 'localhost'),
    dbPort: portFlag(f['db-port'] ?? env.PGPORT, '--db-port', 5432),
    dbPasswordFile: f['db-password-file'],
    setPassword: !!f['set-password'],
    pgHba,
    writeConfig: !!f['write-config'],
    cwd: process.cwd(),
    home: env.HOME ?? homedir(),
    explicit: args.explicit,
  };
}

function validHost(h: string): string {
  if (!/^[A-Za-z0-9.:_/-]+$/.test(h)) throw new WizardError('BAD_INPUT', `--db-host "${h}" is not a host name, an IP address or a socket directory.`, { hint: 'Use localhost (TCP, the usual choice), an IP address, or a host name.' });
  return h;
}

export function newSetupContext(opts: SetupOptions, ui: Ui): SetupContext {
  return { opts, prompter: ui.prompter, createAdmin: (spec) => createPgAdmin(spec) };
}

export async function runSetup(args: ParsedArgs, ui: Ui): Promise<FlowResult> {
  const ctx = newSetupContext(setupOptions(args), ui);
  try {
    return await runFlow(setupSteps, ctx, { flowId: 'setup', title: 'First-time setup: Synapse on PostgreSQL', dryRun: !!args.flags['dry-run'], preflight: true, yes: !!args.flags.yes, prompter: ui.prompter, emit: ui.emit, signal: ui.signal });
  } finally {
    await ctx.admin?.close();
  }
}
