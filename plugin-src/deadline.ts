// One deadline per GetSecret request, shorter than Swarm's patience (moby's plugin client gives
// up after 30 s). Reads are aborted when it passes; a call that creates a credential is never
// aborted mid-flight (Vault might mint it without us ever seeing its accessor): the provider
// checks the deadline after it and revokes what it just minted.
import { ProviderError } from "./errors.js";

export class Deadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  readonly at: number;

  constructor(
    readonly ms: number,
    now: () => number = Date.now,
  ) {
    this.at = now() + ms;
    this.timer = setTimeout(() => this.controller.abort(this.error()), ms);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get expired(): boolean {
    return this.controller.signal.aborted;
  }

  /** Throws when the deadline has passed. */
  check(): void {
    if (this.expired) throw this.error();
  }

  error(): ProviderError {
    return new ProviderError(
      `the request took longer than its ${this.ms} ms deadline (Vault or Docker too slow); Swarm will ask again`,
      "vault",
    );
  }

  /** Stops the timer once the request is answered. */
  done(): void {
    clearTimeout(this.timer);
  }
}
