/** An error whose message is safe to show to users and logs: it carries no value and no token. */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly kind: "input" | "policy" | "vault" | "bootstrap" | "internal" | "already-issued" = "input",
    /** The HTTP status Vault answered, when this explains a Vault refusal. */
    readonly vaultStatus?: number,
  ) {
    super(message);
    this.name = "ProviderError";
  }
}
