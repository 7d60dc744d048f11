// SQLite values to lines of COPY's text format, converted as synapse_port_db converts them before its INSERTs (_convert_rows):
// booleans from its BOOLEAN_COLUMNS by Python truthiness, BLOBs as bytea, and a row dropped when a string holds a NUL.
import { WizardError } from '../../core/errors.js';

/** How PostgreSQL stores a column, as far as the conversion cares. */
export type ColumnKind = 'bool' | 'int' | 'float' | 'bytea' | 'text';

export interface ColumnPlan {
  names: string[];
  kinds: ColumnKind[];
}

export function columnKind(pgDataType: string | undefined, isBooleanColumn: boolean): ColumnKind {
  if (isBooleanColumn) return 'bool';
  switch (pgDataType) {
    case 'smallint':
    case 'integer':
    case 'bigint':
      return 'int';
    case 'real':
    case 'double precision':
    case 'numeric':
      return 'float';
    case 'bytea':
      return 'bytea';
    default:
      return 'text';
  }
}

/** A row the script would drop (a NUL in a string), or one it cannot port at all (it stops with an error there too). */
export type LineResult = string | { dropped: string };

const SPECIAL = /[\\\n\r\t\0\uFFFD]/;

function escapeText(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
}

/** Python's bool() of what sqlite3 returns. */
function truthy(v: unknown): boolean {
  if (v === null || v === undefined) return false;
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.length > 0;
  if (Buffer.isBuffer(v)) return v.length > 0;
  return true;
}

/** PostgreSQL's float8 -> int8 assignment cast rounds half to even (rint). */
function rint(x: number): string {
  const f = Math.floor(x);
  const d = x - f;
  const r = d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
  return String(r);
}

export interface CellProblem {
  table: string;
  column: string;
  rowid: unknown;
}

/**
 * Converts one row (values in the plan's column order) to a COPY text line with its newline. `invalidUtf8(i)` is asked when a
 * string holds U+FFFD, which is also what better-sqlite3 makes of bytes that are not UTF-8; it returns true when the stored
 * bytes really are invalid, in which case the port stops there as synapse_port_db does ("Could not decode to UTF-8").
 */
export function rowToLine(row: unknown[], plan: ColumnPlan, table: string, rowid: unknown, invalidUtf8: (i: number) => boolean): LineResult {
  let line = '';
  for (let i = 0; i < row.length; i++) {
    if (i > 0) line += '\t';
    const v = row[i];
    const kind = plan.kinds[i]!;
    if (kind === 'bool') {
      line += truthy(v) ? 't' : 'f';
      continue;
    }
    if (v === null || v === undefined) {
      line += '\\N';
    } else if (typeof v === 'bigint') {
      line += v.toString();
    } else if (typeof v === 'number') {
      line += kind === 'int' && Number.isFinite(v) && !Number.isInteger(v) ? rint(v) : String(v);
    } else if (typeof v === 'string') {
      if (!SPECIAL.test(v)) {
        line += v;
        continue;
      }
      if (v.includes('\uFFFD') && invalidUtf8(i)) {
        throw new WizardError('PORT_FAILED', `Table ${table}, column ${plan.names[i]}, rowid ${String(rowid)} holds bytes that are not UTF-8; synapse_port_db stops there too ("Could not decode to UTF-8 column").`, {
          hint: `Fix or delete that row with Synapse stopped (SELECT rowid, hex(CAST(${plan.names[i]} AS BLOB)) FROM ${table} WHERE rowid = ${String(rowid)}), then run cutover again.`,
        });
      }
      if (v.includes('\0')) return { dropped: plan.names[i]! };
      line += escapeText(v);
    } else if (Buffer.isBuffer(v)) {
      if (kind !== 'bytea') {
        throw new WizardError('PORT_FAILED', `Table ${table}, column ${plan.names[i]}, rowid ${String(rowid)} holds a BLOB where PostgreSQL stores ${kind}; synapse_port_db fails on it too.`, {
          hint: `Inspect it with Synapse stopped: SELECT rowid, typeof(${plan.names[i]}) FROM ${table} WHERE rowid = ${String(rowid)}.`,
        });
      }
      line += '\\\\x' + v.toString('hex');
    } else {
      line += escapeText(String(v));
    }
  }
  return line + '\n';
}
