// What one diagnosis finds: evidence, cause and a fix the doctor can apply and then prove by diagnosing again.
import type { PlannedAction } from '../core/events.js';
import type { StepContext } from '../core/step.js';
import type { DoctorContext } from './context.js';

export interface Finding {
  id: string;
  title: string;
  /** What the doctor saw (query results, file contents, the error line). */
  evidence: string;
  cause: string;
  /** The fix in words; `plan` lists exactly what `apply` does. */
  fix: string;
  needsSynapseStopped: boolean;
  plan: PlannedAction[];
  /** Absent: the admin has to fix it by hand (the doctor cannot, or must not). */
  apply?: (sc: StepContext) => Promise<string>;
  /** Extra proof after the diagnosis comes back clean (e.g. logging in as Synapse does). */
  verify?: () => Promise<string>;
  /** The fix takes effect only when Synapse restarts (config edits). */
  restartSynapse?: boolean;
  /** problem (default): Synapse cannot work or may lose data, the run fails while it is left. advice: tuning and hardening,
   * listed and fixable on request; leaving or declining it does not fail the run. */
  severity?: 'problem' | 'advice';
  /** Set for findings made from an error text whose state the doctor looked at and found healthy now. */
  notPresentNow?: string;
}

export interface Diagnosis {
  id: string;
  /** Lower is worse, and is fixed first (connection before database before tuning). */
  rank: number;
  title: string;
  /** FAILURES.md error texts that point at this diagnosis (--error, --log). */
  patterns: RegExp[];
  /** Read-only. Undefined when the system is healthy in this respect. */
  diagnose(ctx: DoctorContext): Promise<Finding | undefined>;
  /** Whether diagnose() can see the state here (default: Synapse is on PostgreSQL and the superuser connection works); when it cannot, an error text stays an unconfirmed finding. */
  canCheck?(ctx: DoctorContext): boolean;
  /** What to say when only an error text points here and the state shows nothing (or cannot be looked at). */
  fromText?(ctx: DoctorContext, line: string): { cause: string; fix: string };
}
