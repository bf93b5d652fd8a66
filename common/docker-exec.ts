// `docker exec` with its output captured, a time limit and a size cap: the plugin reads the
// bootstrap token this way, the tests read secret files. Typed by the dockerode calls it makes.
import { PassThrough } from "node:stream";

interface ExecStream extends NodeJS.ReadableStream {
  destroy(error?: Error): unknown;
}

export interface ExecApi {
  getContainer(id: string): {
    exec(opts: { Cmd: string[]; AttachStdout: boolean; AttachStderr: boolean }): Promise<{
      start(opts: { hijack: boolean; stdin: boolean }): Promise<ExecStream>;
      inspect(): Promise<{ ExitCode: number | null }>;
    }>;
  };
  modem: {
    demuxStream(
      stream: NodeJS.ReadableStream,
      stdout: NodeJS.WritableStream,
      stderr: NodeJS.WritableStream,
    ): void;
  };
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

/** Throws (a plain Error saying which limit) on a timeout or on more than maxBytes of output. */
export async function execCapture(
  docker: ExecApi,
  containerId: string,
  cmd: string[],
  limits: { timeoutMs: number; maxBytes: number },
): Promise<ExecResult> {
  const exec = await docker
    .getContainer(containerId)
    .exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let size = 0;
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const collect = (into: Buffer[]) => (d: Buffer) => {
    size += d.length;
    if (size > limits.maxBytes) stream.destroy(new Error(`more than ${limits.maxBytes} bytes of output`));
    else into.push(d);
  };
  stdout.on("data", collect(out));
  stderr.on("data", collect(err));
  docker.modem.demuxStream(stream, stdout, stderr);
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () => stream.destroy(new Error(`no answer within ${limits.timeoutMs} ms`)),
        limits.timeoutMs,
      );
      stream.on("end", resolve);
      stream.on("close", resolve);
      stream.on("error", reject);
    });
  } finally {
    clearTimeout(timer);
  }
  const { ExitCode } = await exec.inspect();
  return {
    stdout: Buffer.concat(out).toString("utf8"),
    stderr: Buffer.concat(err).toString("utf8"),
    exitCode: ExitCode,
  };
}
