// Purge and room deletion go through Synapse's Admin API: a server admin's access token, from a file or a masked prompt, never shown.
import { fileOwnership, readText } from '../../adapters/files.js';
import { WizardError } from '../../core/errors.js';
import { registerSecret } from '../../core/redact.js';
import type { Prompter } from '../../core/prompter.js';
import type { Step } from '../../core/step.js';
import { createAdminApi } from '../admin-api.js';
import type { MaintainContext } from '../context.js';

async function readToken(ctx: MaintainContext, log: (m: string) => void, ask: Prompter | undefined): Promise<string | undefined> {
  const file = ctx.opts.adminTokenFile;
  if (file) {
    let text: string;
    try {
      if ((await fileOwnership(file)).mode & 0o077) log(`${file} can be read by other users; chmod 600 ${file} keeps the token to its owner.`);
      text = await readText(file);
    } catch (e) {
      throw new WizardError('BAD_INPUT', `--admin-token-file ${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { hint: 'Put a server admin\'s access token alone in a file readable by root (mode 0600).' });
    }
    const token = text.trim();
    registerSecret(token);
    if (!token || /\s/.test(token)) throw new WizardError('BAD_INPUT', `--admin-token-file ${file} does not hold one access token.`, { hint: 'The file must hold the token alone (one line).' });
    return token;
  }
  if (!ask) return undefined;
  const token = (await ask.password({ message: "A server admin's access token (input hidden)", validate: (v) => (v.trim() ? undefined : 'The token is needed.') })).trim();
  registerSecret(token);
  return token;
}

export const adminToken: Step<MaintainContext> = {
  id: 'admin-token',
  title: "Reach Synapse's Admin API",
  why: 'Synapse deletes history and rooms itself, through its Admin API, so its caches and the database stay consistent.',
  prerequisite: true,
  async gather(ctx, sc, ask) {
    // asked again on a retry: the token typed may be the reason it failed
    ctx.found.adminToken = await readToken(ctx, (m) => sc.log(m, 'warn'), ask);
  },
  async check(ctx) {
    const token = ctx.found.adminToken as string | undefined;
    if (!token) return { status: 'blocked', message: "No server admin's access token.", hint: 'Pass --admin-token-file FILE (the token alone in a 0600 file), or run in a terminal to type it.' };
    const api = createAdminApi(ctx.baseUrl, token);
    const me = await api.whoami();
    await api.assertAdmin(me);
    ctx.api = api;
    return { status: 'done', message: `The Admin API at ${ctx.baseUrl} answers ${me}, a server admin.` };
  },
  async apply() {
    return 'Nothing to apply.';
  },
  async verify(ctx) {
    return ctx.api ? { ok: true, message: 'the token is accepted.' } : { ok: false, message: 'no token.' };
  },
};
