/** An error whose message is safe to show to users and logs: it carries no value and no token. */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly kind: "input" | "policy" | "vault" | "bootstrap" | "internal" | "already-issued" = "input",
  ) {
    super(message);
    this.name = "ProviderError";
  }
}
