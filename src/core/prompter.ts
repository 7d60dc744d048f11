// How the core asks the admin something: screens implement it, the core never imports a UI library.
export interface TextQuestion {
  message: string;
  initial?: string;
  placeholder?: string;
  /** Returns an error message, or undefined when the value is acceptable. Same rules as the flags. */
  validate?: (value: string) => string | undefined;
}

export interface ConfirmQuestion {
  message: string;
  /** What will change, shown before the question (commands, SQL, diffs). */
  details?: string;
  initial?: boolean;
}

export interface SelectQuestion<T extends string> {
  message: string;
  options: { value: T; label: string; hint?: string }[];
  initial?: T;
}

export interface Prompter {
  /** False when nobody can answer (no TTY and no --yes): the core then stops with a clear message instead of guessing. */
  readonly interactive: boolean;
  confirm(q: ConfirmQuestion): Promise<boolean>;
  text(q: TextQuestion): Promise<string>;
  password(q: TextQuestion): Promise<string>;
  select<T extends string>(q: SelectQuestion<T>): Promise<T>;
}
