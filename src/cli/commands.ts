/**
 * The registration point of `riffle`'s commands: one line per top-level command, in the order `riffle --help`
 * lists them. A command module exports a factory `(ctx: CliContext) => Command` (see command-kit.ts) that builds its
 * definitions only; its action imports the module that does the work when the command runs.
 *
 * To add a command: write `src/cli/<name>-command.ts` exporting `define<Name>Command`, and add it to COMMANDS.
 * Its `--help`, its subcommands' `--help`, completion and the tests of every subcommand's help follow from the tree.
 */
import { defineBusCommand } from './bus-command.ts';
import { defineCdcCommand } from './cdc-command.ts';
import type { CommandFactory } from './command-kit.ts';
import { defineCompletionCommand } from './completion-command.ts';
import { defineConfigCommand } from './config-command.ts';
import { defineContractCommand } from './contract-command.ts';
import { defineDagCommand, defineSchedulerCommand } from './dag-command.ts';
import { defineHarnessCommand } from './harness-command.ts';
import { defineHelpCommand } from './help-command.ts';
import { defineModelsCommand } from './models-command.ts';
import { defineQualityCommand } from './quality-command.ts';
import { defineSqlCommand } from './sql-command.ts';
import { defineRunCommand, defineTemplateCommand } from './run-command.ts';
import { defineServerCommand } from './server-command.ts';
import { defineStoreCommand } from './store-command.ts';
import { defineTableCommand } from './table-command.ts';
import { defineVersionCommand } from './version-command.ts';

export const COMMANDS: readonly CommandFactory[] = [
  defineRunCommand,
  defineTemplateCommand,
  defineDagCommand,
  defineSchedulerCommand,
  defineStoreCommand,
  defineContractCommand,
  defineTableCommand,
  defineSqlCommand,
  defineModelsCommand,
  defineQualityCommand,
  defineBusCommand,
  defineCdcCommand,
  defineServerCommand,
  defineHarnessCommand,
  defineVersionCommand,
  defineHelpCommand,
  defineCompletionCommand,
  defineConfigCommand,
];
