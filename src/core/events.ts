// The runner's events: the only thing screens (full-screen, plain, JSON) see of a flow.
export type StepStatus = 'done' | 'applied' | 'skipped' | 'failed' | 'planned';

export type PlannedAction =
  | { kind: 'sql'; sql: string; database?: string; note?: string }
  | { kind: 'command'; argv: string[]; note?: string }
  | { kind: 'file'; path: string; diff: string; note?: string }
  | { kind: 'note'; text: string };

export type RunnerEvent =
  | { event: 'flow'; id: string; title: string; steps: { id: string; title: string }[]; dryRun: boolean }
  | { event: 'step-start'; id: string; title: string; why: string }
  | { event: 'check'; id: string; status: 'done' | 'needed' | 'blocked' | 'skip'; message: string }
  | { event: 'plan'; id: string; actions: PlannedAction[] }
  /** The whole plan, after the read-only checks and before anything is applied: approved once (steps with `own` ask again). */
  | { event: 'review'; id: string; steps: { id: string; title: string; message: string; actions: PlannedAction[]; own: boolean }[] }
  /** The step's changes are being applied now (after its confirm, if it asked one). */
  | { event: 'step-apply'; id: string }
  | { event: 'log'; id?: string; level: 'info' | 'warn' | 'error'; message: string }
  | { event: 'progress'; id: string; label: string; done: number; total?: number; detail?: string }
  | { event: 'step'; id: string; status: StepStatus; message: string; hint?: string; code?: string }
  | { event: 'finding'; id: string; title: string; evidence: string; cause: string; fix: string; needsSynapseStopped: boolean; fixed: boolean; severity?: 'problem' | 'advice' }
  | { event: 'report'; id: string; title: string; unit: 'bytes' | 'count'; bars: ReportBar[]; figures: ReportFigure[] }
  | { event: 'done'; ok: boolean; message: string; hint?: string }
  /** `status --json`: where things stand, as data (its fields are status's own report). */
  | ({ event: 'status' } & Record<string, unknown>);

/** One bar of a report's chart (screens draw it; --json passes it on as data). */
export interface ReportBar {
  label: string;
  value: number;
}

/** A named figure of a report: a size in bytes, a count, or a text. */
export interface ReportFigure {
  label: string;
  value: number | string;
  unit?: 'bytes' | 'count';
}

export type EventSink = (e: RunnerEvent) => void;
