// A node:test reporter for the runner: one JSON line per finished test, so results
// are counted from events, not from the spec reporter's text.
interface TestEvent {
  type: string;
  data: {
    name?: string;
    nesting?: number;
    count?: number;
    details?: { type?: string; error?: { message?: string } };
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
      })}\n`;
    }
  }
}
