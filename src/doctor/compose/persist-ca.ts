// A CA installed into a running container is lost when compose re-creates it: the compose edit mounts the CA file read-only into the
// trust directory and, for the official image (root until start.py drops to 991), runs update-ca-certificates before start.py.
import { isMap, isSeq, parseDocument, type YAMLMap } from 'yaml';
import { editFile } from '../../adapters/files.js';
import { WizardError } from '../../core/errors.js';
import type { ComposeDeployment } from './deployment.js';

/** `$$` is compose's escape for a literal `$` (compose interpolates `$VAR` in every value). */
export const CA_ENTRYPOINT = ['/bin/sh', '-c', 'update-ca-certificates && exec /start.py "$$@"', 'start.py'];

export interface CaPersistence {
  text: string;
  /** Set when the edit cannot make the container rebuild its bundle at start (own entrypoint, or `user:` so never root). */
  caveat?: string;
  apply(): Promise<string>;
}

/** The compose file with the CA mounted; undefined when it already is (or the service cannot be found in the text). */
export function persistCa(d: ComposeDeployment, caHost: string, caInside: string): CaPersistence | undefined {
  const doc = parseDocument(d.text);
  const svc = doc.getIn(['services', d.service]);
  if (!isMap(svc)) return undefined;
  const mount = `${caHost}:${caInside}:ro`;
  const volumes = (svc as YAMLMap).get('volumes');
  if (isSeq(volumes)) {
    if (volumes.items.some((i) => String((i as { value?: unknown }).value ?? i).startsWith(`${caHost}:${caInside}`))) return undefined;
    volumes.add(doc.createNode(mount));
  } else (svc as YAMLMap).set('volumes', doc.createNode([mount]));
  // a `user:` service never runs as root, and an own entrypoint is the admin's: leave both alone
  let caveat: string | undefined;
  if (!(svc as YAMLMap).has('entrypoint') && !(svc as YAMLMap).has('user')) {
    (svc as YAMLMap).set('entrypoint', doc.createNode(CA_ENTRYPOINT));
  } else {
    caveat = `the service has ${(svc as YAMLMap).has('user') ? 'user: (it never runs as root)' : 'its own entrypoint'}, so the mounted CA joins the trust store only when update-ca-certificates runs as root in the container: add it to your entrypoint, or run the doctor again after re-creating the container`;
  }
  const text = doc.toString();
  return {
    text,
    caveat,
    async apply() {
      const backup = await editFile(d.file, text);
      if (!backup) throw new WizardError('INTERNAL', `${d.file} vanished before it could be edited`);
      const start = caveat ? `; note: ${caveat}` : ' and runs update-ca-certificates at start';
      return `${d.file} now mounts the CA read-only${start} (backup: ${backup}); it takes effect on "docker compose up -d ${d.service}".`;
    },
  };
}
