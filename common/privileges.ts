// Plugin privileges: what a plugin in the registry asks for, compared with what vsp generated.
// A plugin that asks for anything else was not built by vsp and is not installed.

/** A plugin privilege as the engine lists it (GET /plugins/privileges). */
export interface Privilege {
  name: string;
  description?: string;
  value: string[];
}

/** What `asked` holds beyond or instead of `expected`, or undefined when they are the same set. */
export function privilegeMismatch(asked: Privilege[], expected: Privilege[]): string | undefined {
  const key = (p: Privilege) => `${p.name}=${[...p.value].sort().join(",")}`;
  const want = new Set(expected.map(key));
  const got = new Set(asked.map(key));
  const extra = [...got].filter((k) => !want.has(k));
  const missing = [...want].filter((k) => !got.has(k));
  if (extra.length === 0 && missing.length === 0) return undefined;
  return [
    ...(extra.length ? [`asks ${extra.join("; ")}`] : []),
    ...(missing.length ? [`lacks ${missing.join("; ")}`] : []),
  ].join("; ");
}
