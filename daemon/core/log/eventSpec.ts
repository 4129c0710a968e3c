/** How a log event is described in the catalogue (daemon/core/log/events.ts), and the field types it implies. */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

type BaseFieldType = 'string' | 'number' | 'boolean' | 'string[]' | 'string|null' | 'number|null' | 'json';
/** A trailing '?' marks a field a call may leave out. */
export type FieldType = BaseFieldType | `${BaseFieldType}?`;

export interface EventSpec {
  readonly name: string;
  readonly level: LogLevel;
  readonly doc: string;
  readonly fields: Readonly<Record<string, FieldType>>;
}

/** One catalogue entry; `const` keeps the name and field types literal so calls can be checked. */
export function ev<const N extends string, const F extends Readonly<Record<string, FieldType>>>(name: N, level: LogLevel, doc: string, fields: F): { readonly name: N; readonly level: LogLevel; readonly doc: string; readonly fields: F } {
  return { name, level, doc, fields };
}

type TypeOf<T extends string> = T extends 'string'
  ? string
  : T extends 'number'
    ? number
    : T extends 'boolean'
      ? boolean
      : T extends 'string[]'
        ? readonly string[]
        : T extends 'string|null'
          ? string | null
          : T extends 'number|null'
            ? number | null
            : unknown;

type RequiredKeys<F> = { [K in keyof F]: F[K] extends `${string}?` ? never : K }[keyof F];
type OptionalKeys<F> = { [K in keyof F]: F[K] extends `${string}?` ? K : never }[keyof F];

/** The TypeScript shape of a field list: `{ root: 'string', relPath: 'string?' }` → `{ root: string; relPath?: string }`. */
export type FieldsOf<F> = { [K in RequiredKeys<F>]: F[K] extends string ? TypeOf<F[K]> : never } & {
  [K in OptionalKeys<F>]?: F[K] extends `${infer B}?` ? TypeOf<B> | undefined : never;
};

/** Why a catalogue is not fit to ship (empty when it is): docs, names and the one name for an error's text. */
export function catalogueProblems(entries: Readonly<Record<string, EventSpec>>): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const [key, e] of Object.entries(entries)) {
    if (e.doc.trim().length < 10) problems.push(`${key}: no doc`);
    if (/[\n\r]/.test(e.doc)) problems.push(`${key}: the doc is more than one line`);
    if (!/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/.test(e.name)) problems.push(`${key}: name "${e.name}" is not dotted lower-case words`);
    const other = seen.get(e.name);
    if (other !== undefined) problems.push(`${key}: name "${e.name}" is also ${other}`);
    seen.set(e.name, key);
    for (const f of Object.keys(e.fields)) {
      if (['msg', 'err', 'detail', 'problem'].includes(f)) problems.push(`${key}: field "${f}": an error's text is the field "error"`);
      if (f === 'event' || f === 'level' || f === 'time') problems.push(`${key}: field "${f}" is written by the logger itself`);
    }
  }
  return problems;
}
