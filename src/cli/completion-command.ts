/** `riffle completion bash|zsh|fish`: prints a completion script generated from the command tree. */
import { UsageError } from './cli-error.ts';
import { action, defineCommand, type CliContext, type Command } from './command-kit.ts';
import { completionScript, completionTree, SHELLS, type Shell } from './completion.ts';

export function defineCompletionCommand(ctx: CliContext): Command {
  return defineCommand('completion', 'print a shell completion script (commands, subcommands and options)', [
    ['source <(riffle completion bash)', 'complete riffle in this bash session'],
    ['riffle completion zsh > "${fpath[1]}/_riffle"', 'install it for zsh'],
    ['riffle completion fish > ~/.config/fish/completions/riffle.fish', 'install it for fish'],
  ])
    .argument('<shell>', 'the shell: bash, zsh or fish')
    .action(action(ctx, async (cmd) => {
      const shell = cmd.processedArgs[0] as string;
      if (!(SHELLS as readonly string[]).includes(shell)) throw new UsageError(`riffle completion: unknown shell '${shell}'`, { hint: `give one of ${SHELLS.join(', ')}` });
      let root = cmd;
      while (root.parent !== null) root = root.parent;
      ctx.io.out(completionScript(completionTree(root), shell as Shell).replace(/\n$/, ''));
      return 0;
    }));
}
