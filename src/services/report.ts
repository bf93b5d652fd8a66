// How services tell the user what they do, without knowing about spinners or colours.
import { describe, VspError } from "../errors.js";

export interface Step {
  update(text: string): void;
  succeed(text?: string): void;
  fail(text?: string): void;
  skip(text?: string): void;
}

export interface Reporter {
  step(text: string): Step;
  info(text: string): void;
  warn(text: string): void;
  /** Detail lines (engine build output); shown only in verbose mode. */
  detail(text: string): void;
}

export const silentReporter: Reporter = {
  step: () => ({ update() {}, succeed() {}, fail() {}, skip() {} }),
  info() {},
  warn() {},
  detail() {},
};

/** Runs `fn` as a step: success and failure are reported, the error is passed on. */
export async function inStep<T>(r: Reporter, text: string, fn: (s: Step) => Promise<T>): Promise<T> {
  const s = r.step(text);
  try {
    const value = await fn(s);
    s.succeed();
    return value;
  } catch (err) {
    s.fail();
    if (err instanceof VspError) throw err;
    // Anything unforeseen (an engine or Vault error) says in which step it happened.
    const slow = /DeadlineExceeded|context deadline exceeded/.test(describe(err));
    throw new VspError(
      `${text}: ${describe(err)}`,
      slow
        ? "the swarm's managers did not answer in time (busy or losing quorum): check docker node ls, then run the command again; it carries on where it stopped"
        : undefined,
    );
  }
}
