// Printing a command line for plans and logs; apart from the exec adapter so screens can use it without loading execa.
/** A printable, shell-quoted command line (for plans and logs; never contains secrets because argv never does). */
export function formatArgv(argv: string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
