// The UI port: what a flow needs from whichever screen runs it (where events go, who answers questions, how to stop).
import type { EventSink } from './events.js';
import type { Prompter } from './prompter.js';

export interface Ui {
  emit: EventSink;
  prompter: Prompter;
  signal: AbortSignal;
}
