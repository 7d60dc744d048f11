// The runner's and the entry point's own words to the admin, in one place so their wording can be reviewed together.
export const MESSAGES = {
  runAgain: 'Run the same command again to continue where it stopped.',
  runAgainWhenReady: 'Run the same command again when you are ready.',
  atomicRunAgain: 'Every file edit is atomic, so nothing is half-written. Run the same command again to continue.',
  declined: 'You declined; nothing was changed by this step.',
  stoppedBefore: (title: string) => `Stopped at your request before: ${title}. Nothing was left half-done.`,
  stoppedDuring: (title: string) => `Stopped at your request during: ${title}.`,
  declinedFlow: (title: string) => `You declined "${title}". The steps before it are done and verified; nothing after it was run.`,
  declinedPlan: 'You declined the plan; nothing was changed.',
  reviewQuestion: (n: number) => `Apply this plan? ${n} step(s) will change the system, in this order, each verified before the next.`,
  setupReviewNotes: [
    'Each change is applied whole and verified before the next; a file is backed up before it is edited.',
    'If a step fails, the ones before it stay done and verified, nothing after it runs, and running setup again continues there.',
  ],
  cutoverReviewNotes: [
    'Synapse keeps running until "Stop Synapse"; its SQLite file is only read, never written.',
    'If Synapse cannot start on PostgreSQL, the config is switched back to SQLite and Synapse is started on it again.',
    'A run that stops resumes from its journal: synapse-pg status says where it stands.',
  ],
  cutoverNextSteps: (o: { sqlite: string; snapshots: string; file: string; sqliteCopy: string; backup: string }) =>
    `The old SQLite file ${o.sqlite} is kept as it was. Keep it until Synapse has served from PostgreSQL for a few days and a ` +
    `PostgreSQL backup exists (${o.backup}); then it is safe to delete, with the snapshots in ${o.snapshots}. To roll back before ` +
    `then: stop Synapse, copy ${o.sqliteCopy} over ${o.file}, start Synapse (messages sent since the cutover stay only in PostgreSQL).`,
  reviewOwnConfirm: 'Stopping Synapse asks once more, right before it happens, with the estimated downtime.',
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
