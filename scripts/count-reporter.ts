// A node:test reporter for the runner: one JSON line per finished test, so results
// are counted from events, not from the spec reporter's text. A failure carries the start of its
// error, which the runner repeats at the end of its output (CI keeps only the closing lines).
interface TestEvent {
  type: string;
  data: {
    name?: string;
    nesting?: number;
    count?: number;
    details?: { type?: string; error?: { message?: string; cause?: unknown } };
  };
}

export default async function* countReporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  for await (const event of source) {
    if (event.type === "test:pass" || event.type === "test:fail") {
      yield `${JSON.stringify({
        type: event.type,
        name: event.data.name,
        nesting: event.data.nesting,
        suite: event.data.details?.type === "suite",
        error: event.type === "test:fail" ? errorText(event.data.details?.error) : undefined,
      })}\n`;
    }
  }
}

/** node:test wraps a hook's or test's error; the cause holds the assertion's own message. */
function errorText(error: { message?: string; cause?: unknown } | undefined): string | undefined {
  if (!error) return undefined;
  const cause = error.cause as { message?: string } | undefined;
  const text = cause?.message ?? error.message ?? String(error);
  return text.length > 800 ? `${text.slice(0, 800)}…` : text;
}
