// What a command needs from whichever screen runs it: where events go and who answers questions.
import type { EventSink } from '../core/events.js';
import type { Prompter } from '../core/prompter.js';

export interface Ui {
  emit: EventSink;
  prompter: Prompter;
  signal: AbortSignal;
}
