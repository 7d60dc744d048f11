// The runner's and the entry point's own words to the admin, in one place so their wording can be reviewed together.
export const MESSAGES = {
  runAgain: 'Run the same command again to continue where it stopped.',
  runAgainWhenReady: 'Run the same command again when you are ready.',
  atomicRunAgain: 'Every file edit is atomic, so nothing is half-written. Run the same command again to continue.',
  declined: 'You declined; nothing was changed by this step.',
  stoppedBefore: (title: string) => `Stopped at your request before: ${title}. Nothing was left half-done.`,
  stoppedDuring: (title: string) => `Stopped at your request during: ${title}.`,
  declinedFlow: (title: string) => `Stopped: you declined "${title}". The steps before it are done and verified; nothing after it was run.`,
  noTerminal: 'There is no terminal to ask questions on, so nothing was changed.',
  noTerminalHint: 'Run it in a terminal, or pass --yes to apply without asking (try --dry-run first).',
  jsonCannotAsk: '--json mode cannot ask questions.',
  jsonCannotAskHint: 'Add --yes to apply, or --dry-run to only show the plan.',
  whatToDo: (hint: string) => `What to do: ${hint}`,
  notAvailable: (command: string) => `"${command}" is not available in this version yet.`,
  notAvailableHint: 'Run synapse-pg setup, or synapse-pg --help.',
  configNotFound: 'No Synapse config found.',
  configNotFoundHint: 'Pass the config Synapse runs with: -c /path/to/homeserver.yaml (repeat for conf.d directories).',
} as const;
