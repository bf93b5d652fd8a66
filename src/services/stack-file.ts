// Compose files as `docker stack deploy` reads them: YAML (anchors and merge keys), `${VAR}`
// interpolation from the environment, later files merged over earlier ones. Only what vsp
// needs is kept: the secrets of a driver and the services that mount them.
import fs from "node:fs";
import path from "node:path";
import { parseDocument } from "yaml";
import { UsageError, VspError } from "../errors.js";

export interface StackSecret {
  /** The key under `secrets:` in the file. */
  key: string;
  /** The Swarm secret's name: its `name:` or `<stack>_<key>`. */
  name: string;
  driver?: string;
  external: boolean;
  labels: Record<string, string>;
}

export interface StackService {
  /** The key under `services:`. */
  key: string;
  /** The Swarm service's name: `<stack>_<key>`. */
  name: string;
  /** Keys of the secrets it mounts. */
  secrets: string[];
}

export interface Stack {
  name: string;
  services: StackService[];
  secrets: StackSecret[];
  /** Variables used but not set (docker substitutes an empty string and warns). */
  unsetVariables: string[];
}

type Tree = Record<string, unknown>;

const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const VARIABLE = /^[_A-Za-z][_A-Za-z0-9]*$/;

function isTree(v: unknown): v is Tree {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Substitutes `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`,
 * `${VAR?error}`, `${VAR:+alt}`, `${VAR+alt}`; `$$` is a literal `$`.
 */
export function interpolate(text: string, env: NodeJS.ProcessEnv, where: string, unset: Set<string>): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c !== "$") {
      out += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === "$") {
      out += "$";
      i += 2;
      continue;
    }
    if (next === "{") {
      const end = closingBrace(text, i + 2);
      if (end < 0) throw new VspError(`${where}: unterminated "\${" in "${text.slice(0, 80)}"`);
      out += expand(text.slice(i + 2, end), env, where, unset);
      i = end + 1;
      continue;
    }
    const m = /^[_A-Za-z][_A-Za-z0-9]*/.exec(text.slice(i + 1));
    if (!m) throw new VspError(`${where}: invalid "$" in "${text.slice(0, 80)}" (write $$ for a literal $)`);
    out += lookup(m[0], env, unset);
    i += 1 + m[0].length;
  }
  return out;
}

/** Index of the `}` closing a `${` whose body starts at `from` (defaults may nest `${…}`). */
function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    if (text[i] === "$" && text[i + 1] === "{") {
      depth++;
      i++;
    } else if (text[i] === "}" && --depth === 0) return i;
  }
  return -1;
}

function lookup(name: string, env: NodeJS.ProcessEnv, unset: Set<string>): string {
  const value = env[name];
  if (value === undefined) unset.add(name);
  return value ?? "";
}

function expand(inner: string, env: NodeJS.ProcessEnv, where: string, unset: Set<string>): string {
  const m = /^([_A-Za-z][_A-Za-z0-9]*)(?:(:?)([-?+])(.*))?$/s.exec(inner);
  if (!m || !VARIABLE.test(m[1]!))
    throw new VspError(`${where}: invalid variable "\${${inner.slice(0, 60)}}"`);
  const [, name, colon, op, arg = ""] = m as unknown as [string, string, string, string | undefined, string];
  const value = env[name];
  const missing = value === undefined || (colon === ":" && value === "");
  const nested = () => interpolate(arg, env, where, unset);
  switch (op) {
    case "-":
      return missing ? nested() : value!;
    case "?":
      if (missing)
        throw new VspError(
          `${where}: required variable ${name} is ${value === undefined ? "not set" : "empty"}: ${arg}`,
        );
      return value!;
    case "+":
      return missing ? "" : nested();
    default:
      return lookup(name, env, unset);
  }
}

function interpolateTree(node: unknown, env: NodeJS.ProcessEnv, where: string, unset: Set<string>): unknown {
  if (typeof node === "string") return interpolate(node, env, where, unset);
  if (Array.isArray(node)) return node.map((v, i) => interpolateTree(v, env, `${where}[${i}]`, unset));
  if (isTree(node)) {
    const out: Tree = {};
    for (const [k, v] of Object.entries(node)) out[k] = interpolateTree(v, env, `${where}.${k}`, unset);
    return out;
  }
  return node;
}

function readFile(file: string, env: NodeJS.ProcessEnv, unset: Set<string>): Tree {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
  }
  const doc = parseDocument(text, { merge: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new VspError(`${file}: not valid YAML: ${e.message.split("\n")[0]}`);
  }
  const tree = doc.toJS({ maxAliasCount: 1000 }) as unknown;
  if (tree === null || tree === undefined) return {};
  if (!isTree(tree)) throw new VspError(`${file}: the top level is not a mapping`);
  return interpolateTree(tree, env, path.basename(file), unset) as Tree;
}

/** Secret mounts merged by source, as the docker CLI does; a later file wins. */
function mergeSecretMounts(base: unknown, over: unknown): unknown[] {
  const bySource = new Map<string, unknown>();
  for (const list of [base, over]) {
    if (!Array.isArray(list)) continue;
    for (const item of list) bySource.set(mountSource(item) ?? `\u0000${bySource.size}`, item);
  }
  return [...bySource.values()];
}

function mountSource(item: unknown): string | undefined {
  if (typeof item === "string") return item;
  if (isTree(item) && typeof item.source === "string") return item.source;
  return undefined;
}

function mergeService(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (k === "secrets") out[k] = mergeSecretMounts(base[k], v);
    else if (isTree(out[k]) && isTree(v)) out[k] = mergeService(out[k] as Tree, v);
    else out[k] = v;
  }
  return out;
}

/** Services merge key by key; top-level secrets are replaced per key (docker CLI rules). */
function mergeFiles(files: Tree[]): Tree {
  const out: Tree = { services: {}, secrets: {} };
  for (const f of files) {
    for (const [k, v] of Object.entries(f)) {
      if (k === "services" && isTree(v)) {
        const services = out.services as Tree;
        for (const [name, svc] of Object.entries(v)) {
          const prev = services[name];
          services[name] = isTree(prev) && isTree(svc) ? mergeService(prev, svc) : svc;
        }
      } else if (k === "secrets" && isTree(v)) {
        Object.assign(out.secrets as Tree, v);
      } else {
        out[k] = v;
      }
    }
  }
  return out;
}

/** Labels as a map or a `key=value` list; scalars become strings as docker's loader does. */
export function labelMap(raw: unknown, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === undefined || raw === null) return out;
  if (Array.isArray(raw)) {
    for (const item of raw) {
      const text = String(item);
      const eq = text.indexOf("=");
      out[eq < 0 ? text : text.slice(0, eq)] = eq < 0 ? "" : text.slice(eq + 1);
    }
    return out;
  }
  if (!isTree(raw)) throw new VspError(`${where}: labels are neither a mapping nor a list`);
  for (const [k, v] of Object.entries(raw)) {
    if (isTree(v) || Array.isArray(v)) throw new VspError(`${where}: label ${k} is not a scalar`);
    out[k] = v === null || v === undefined ? "" : String(v);
  }
  return out;
}

export function loadStack(files: string[], env: NodeJS.ProcessEnv, stackName?: string): Stack {
  if (files.length === 0) throw new UsageError("no compose file", "pass one or more with -c FILE");
  const unset = new Set<string>();
  const merged = mergeFiles(files.map((f) => readFile(f, env, unset)));
  const name =
    stackName ??
    (typeof merged.name === "string" && merged.name
      ? merged.name
      : path.basename(files[0]!).replace(/\.[^.]*$/, ""));
  if (!STACK_NAME.test(name)) {
    throw new UsageError(
      `stack name "${name.slice(0, 80)}" is not valid`,
      "give the name you pass to docker stack deploy as the last argument",
    );
  }
  const secrets: StackSecret[] = [];
  for (const [key, raw] of Object.entries(merged.secrets as Tree)) {
    const s = isTree(raw) ? raw : {};
    const external = s.external === true || isTree(s.external);
    const externalName =
      isTree(s.external) && typeof s.external.name === "string" ? s.external.name : undefined;
    secrets.push({
      key,
      name:
        typeof s.name === "string" && s.name ? s.name : (externalName ?? (external ? key : `${name}_${key}`)),
      driver: typeof s.driver === "string" ? s.driver : undefined,
      external,
      labels: labelMap(s.labels, `secrets.${key}`),
    });
  }
  const services: StackService[] = [];
  for (const [key, raw] of Object.entries(merged.services as Tree)) {
    const svc = isTree(raw) ? raw : {};
    const mounts = Array.isArray(svc.secrets) ? svc.secrets : [];
    services.push({
      key,
      name: `${name}_${key}`,
      secrets: mounts.map(mountSource).filter((s): s is string => s !== undefined),
    });
  }
  return { name, services, secrets, unsetVariables: [...unset].sort() };
}
