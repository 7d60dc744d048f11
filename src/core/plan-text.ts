// Plain-text rendering of a step's plan, shared by confirm dialogs and the line-by-line screen.
import type { PlannedAction } from './events.js';
import { formatArgv } from './argv.js';

export function formatPlan(actions: PlannedAction[]): string {
  return actions.map(formatAction).join('\n');
}

export function formatAction(a: PlannedAction): string {
  switch (a.kind) {
    case 'sql':
      return `${a.note ? `-- ${a.note}\n` : ''}SQL${a.database ? ` (in ${a.database})` : ''}: ${a.sql}`;
    case 'command':
      return `${a.note ? `# ${a.note}\n` : ''}$ ${formatArgv(a.argv)}`;
    case 'file':
      return `${a.note ? `# ${a.note}\n` : ''}${a.diff}`;
    case 'note':
      return a.text;
  }
}
