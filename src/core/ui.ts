// The UI port: what a flow needs from whichever screen runs it (where events go, who answers questions, how to stop).
import type { EventSink } from './events.js';
import type { Prompter } from './prompter.js';
import type { RunOptions } from './runner.js';

export interface Ui {
  emit: EventSink;
  prompter: Prompter;
  signal: AbortSignal;
  /** A screen that can ask offers retry (and diagnose) when a step fails; absent: a failure stops the flow. */
  onFailure?: RunOptions['onFailure'];
}
