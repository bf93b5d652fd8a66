// Placeholder substitution and path validation: the guard against reaching another service's data.
import { type GetSecretRequest, REFRESH_LABELS } from "./contract.js";
import { printable } from "./printable.js";
import { LabelError } from "./secret-labels.js";

const SAFE_VALUE = /^[A-Za-z0-9._-]+$/;
const SAFE_PATH = /^[A-Za-z0-9._\-/]+$/;

export function placeholderValues(req: GetSecretRequest): Record<string, string | undefined> {
  return {
    service: req.ServiceName,
    stack: req.ServiceLabels?.["com.docker.stack.namespace"],
    // A refreshed secret's versions keep the first version's name here (vsp refresh).
    secret: req.SecretLabels?.[REFRESH_LABELS.of] || req.SecretName,
    task: req.TaskName,
    task_id: req.TaskID,
    service_id: req.ServiceID,
    node_id: req.NodeID,
  };
}

export function substitute(
  where: string,
  template: string,
  values: Record<string, string | undefined>,
): string {
  return template.replace(/\{([^{}]*)\}/g, (_all, name: string) => {
    if (!(name in values)) {
      throw new LabelError(`${where}: unknown placeholder {${printable(name)}}`);
    }
    const value = values[name];
    if (value === undefined || value === "") {
      throw new LabelError(`${where}: placeholder {${name}} has no value in this request`);
    }
    if (!SAFE_VALUE.test(value) || value === "." || value === "..") {
      throw new LabelError(
        `${where}: placeholder {${name}} holds characters outside [A-Za-z0-9._-]; refused`,
      );
    }
    return value;
  });
}

/** Normalises a Vault logical path and refuses anything that could escape it. */
export function checkPath(where: string, path: string): string {
  const trimmed = path.replace(/^\/+/, "").replace(/\/+$/, "");
  if (trimmed === "" || !SAFE_PATH.test(trimmed)) {
    throw new LabelError(
      `${where}: path "${printable(path)}" must be non-empty and use only [A-Za-z0-9._-/]`,
    );
  }
  for (const segment of trimmed.split("/")) {
    if (segment === "" || segment === "." || segment === "..") {
      throw new LabelError(`${where}: path "${printable(path)}" has an empty, "." or ".." segment; refused`);
    }
  }
  return trimmed;
}
