// Stops Synapse before fixes that need it stopped, and starts it again at the end: the start (/health OK) is the last proof.
import type { Ui } from '../core/ui.js';
import { toWizardError, WizardError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import type { StepContext } from '../core/step.js';
import type { DoctorContext } from './context.js';

export class SynapseControl {
  private stoppedByUs = false;
  /** A fix changed what Synapse reads at startup (database state): start it to prove the fix, when the admin named a service. */
  startWanted = false;
  /** A config edit takes effect on the next start. */
  restartWanted = false;

  constructor(private ctx: DoctorContext, private ui: Ui) {}

  /** true/false, or undefined when the doctor cannot tell (no pid_file, no service). */
  async running(): Promise<boolean | undefined> {
    if (!this.ctx.service) return undefined;
    try {
      return await this.ctx.service.isRunning();
    } catch {
      return undefined;
    }
  }

  async ensureStopped(sc: StepContext, what: string): Promise<void> {
    const service = this.ctx.service;
    const r = await this.running();
    if (r === false) return;
    if (r === undefined || !service) {
      throw new WizardError('SERVICE', `"${what}" must be applied with Synapse stopped, and the doctor cannot tell whether Synapse is running.`, {
        hint: 'Name how Synapse runs with --service synctl|systemd[:UNIT]|compose:FILE[:SERVICE]|docker:CONTAINER (and -c homeserver.yaml), or stop Synapse and all workers yourself and run again.',
      });
    }
    sc.log(`Stopping Synapse (${service.describe()}) first: "${what}" must not run under it.`);
    await service.stop();
    this.stoppedByUs = true;
  }

  /** Starts Synapse when the doctor stopped it, or (with a named service) when a fix needs a start to be proven. */
  async finish(anyFixed: boolean): Promise<{ ok: boolean } | undefined> {
    const service = this.ctx.service;
    // Synapse stopped by the doctor is started again even when the fix failed: it must not be left down.
    if (!service || (!anyFixed && !this.stoppedByUs)) return undefined;
    const named = this.ctx.opts.serviceGiven;
    const running = await this.running();
    // a Synapse that is down (it failed to start on what was just fixed) is started when the admin named how it runs
    const start = this.stoppedByUs || (named && running === false && (this.startWanted || this.restartWanted));
    const restart = named && running === true && this.restartWanted;
    if (!start && !restart) {
      if (this.restartWanted && running) this.log('warn', 'Restart Synapse so that it reads the edited database: section.');
      return undefined;
    }
    try {
      if (restart) {
        this.log('info', `Restarting Synapse (${service.describe()}) so that it reads the edited config.`);
        await service.stop();
      } else this.log('info', `Starting Synapse (${service.describe()}) to prove the fixes.`);
      await service.start();
      this.log('info', 'Synapse started and /health answers OK.');
      return { ok: true };
    } catch (e) {
      const err = toWizardError(e);
      this.log('error', `Synapse did not start after the fixes: ${err.message}${err.hint ? ` What to do: ${err.hint}` : ''}`);
      return { ok: false };
    }
  }

  private log(level: 'info' | 'warn' | 'error', message: string) {
    this.ui.emit({ event: 'log', id: 'synapse', level, message: redact(message) });
  }
}
