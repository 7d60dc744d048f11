// FAILURES 6 and 7: COLLATE/CTYPE not exactly 'C' (C.UTF-8 is not C) or encoding not UTF8. Recreate safely, or allow_unsafe_locale by choice.
import { localeProblems } from '../setup/steps/create-database.js';
import { applyDatabaseEdit, planDatabaseEdit } from './config-edit.js';
import type { DoctorContext } from './context.js';
import { dbRow } from './db-info.js';
import { recreateDatabase, recreateNames, recreatePlan } from './recreate.js';
import type { Diagnosis, Finding } from './types.js';
import { ERROR_TEXTS } from '../synapse/known-errors.js';

export const UNSAFE_LOCALE_RISK =
  "With allow_unsafe_locale Synapse sorts and indexes text with the database's locale. When the C library's locale data changes (an OS upgrade), existing indexes no longer match: unique constraints stop holding and lookups miss rows, silently, until every index is rebuilt (REINDEX DATABASE). That is why Synapse refuses it by default.";

const allowed = (ctx: DoctorContext) => ctx.config?.database?.allow_unsafe_locale === true;

export const databaseLocale: Diagnosis = {
  id: 'database-locale',
  rank: 50,
  title: "The database's encoding or locale is not what Synapse needs",
  patterns: ERROR_TEXTS.locale,
  async diagnose(ctx) {
    if (!ctx.onPostgres) return undefined;
    const row = await dbRow(ctx);
    if (!row) return undefined;
    const encodingWrong = row.encoding !== 'UTF8';
    const problems = localeProblems(row).filter((p) => encodingWrong || !allowed(ctx) || p.startsWith('encoding'));
    if (!problems.length) return undefined;
    const base = {
      id: this.id,
      title: this.title,
      evidence: `pg_database for ${ctx.target.dbname}: ${problems.join('; ')}.`,
      cause: "The database was created without TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C', so it inherited the cluster's locale. Synapse checks datcollate and datctype are exactly 'C' and the encoding is UTF8.",
      needsSynapseStopped: true,
    };
    if (ctx.opts.unsafeLocale && !encodingWrong) {
      const edit = planDatabaseEdit(ctx, (db) => ({ ...db, allow_unsafe_locale: true }));
      if (edit) {
        const f: Finding = {
          ...base,
          fix: `set allow_unsafe_locale: true in database: (you chose this over recreating the database). Risk: ${UNSAFE_LOCALE_RISK}`,
          needsSynapseStopped: false,
          restartSynapse: true,
          plan: [edit.action, { kind: 'note', text: `Risk you accept: ${UNSAFE_LOCALE_RISK}` }],
          apply: async (sc) => {
            sc.log(UNSAFE_LOCALE_RISK, 'warn');
            return applyDatabaseEdit(ctx, edit);
          },
        };
        return f;
      }
    }
    const names = recreateNames(ctx.target.dbname);
    return {
      ...base,
      fix: `with Synapse stopped: create ${names.fresh} correctly, pg_dump | pg_restore into it, check every table's row count, then swap the names (the old database is kept as ${names.old})${encodingWrong ? '' : '; or run "synapse-pg doctor --allow-unsafe-locale" to set allow_unsafe_locale: true instead, knowing the risk'}`,
      plan: recreatePlan(ctx, names),
      apply: (sc) => recreateDatabase(ctx, sc, names),
    };
  },
  fromText: () => ({
    cause: "The database's COLLATE/CTYPE are not exactly 'C' (C.UTF-8 is not C either) or its encoding is not UTF8.",
    fix: "recreate it from template0 with ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' (dump, create, restore, verify), or set allow_unsafe_locale: true in database: knowing the risk",
  }),
};
