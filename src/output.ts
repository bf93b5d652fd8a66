// Human output on stderr (spinners and colour only on a TTY without NO_COLOR), results on stdout.
import type chalk from "chalk";
import { Chalk } from "chalk";
import ora from "ora";
import type { Reporter, Step } from "./services/report.js";

export interface OutputOptions {
  json: boolean;
  verbose: boolean;
  stderr?: NodeJS.WriteStream;
  stdout?: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
}

export class Output implements Reporter {
  readonly fancy: boolean;
  readonly c: typeof chalk;
  private readonly err: NodeJS.WriteStream;
  private readonly out: NodeJS.WriteStream;

  constructor(private readonly o: OutputOptions) {
    this.err = o.stderr ?? process.stderr;
    this.out = o.stdout ?? process.stdout;
    const env = o.env ?? process.env;
    this.fancy = Boolean(this.err.isTTY) && !("NO_COLOR" in env) && env.TERM !== "dumb";
    this.c = new Chalk({ level: this.fancy ? 1 : 0 });
  }

  step(text: string): Step {
    if (this.fancy && !this.o.json) {
      const spinner = ora({ text, stream: this.err }).start();
      return {
        update: (t) => {
          spinner.text = t;
        },
        succeed: (t) => {
          spinner.succeed(t ?? text);
        },
        fail: (t) => {
          spinner.fail(t ?? text);
        },
        skip: (t) => {
          spinner.info(t ?? text);
        },
      };
    }
    const started = Date.now();
    return {
      update: () => undefined,
      succeed: (t) => this.line(`ok   ${t ?? text} (${Date.now() - started} ms)`),
      fail: (t) => this.line(`FAIL ${t ?? text}`),
      skip: (t) => this.line(`skip ${t ?? text}`),
    };
  }

  info(text: string): void {
    this.line(text);
  }

  warn(text: string): void {
    this.err.write(`${this.c.yellow("warning:")} ${text}\n`);
  }

  detail(text: string): void {
    if (this.o.verbose) this.line(this.c.dim(text));
  }

  error(message: string, hint?: string): void {
    this.err.write(`${this.c.red("vsp: error:")} ${message}\n`);
    if (hint) this.err.write(`${this.c.dim("  what to do:")} ${hint}\n`);
  }

  private line(text: string): void {
    if (!this.o.json) this.err.write(`${text}\n`);
  }

  /** The command's result: JSON with --json, else the given human text. */
  result(value: unknown, human: string): void {
    this.out.write(this.o.json ? `${jsonText(value)}\n` : human.endsWith("\n") ? human : `${human}\n`);
  }
}

/**
 * JSON for machines and terminals alike: JSON.stringify escapes C0 controls but leaves DEL and
 * the C1 range (e.g. U+009B, a terminal's CSI) raw; text from Swarm objects may carry them.
 */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /[\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
