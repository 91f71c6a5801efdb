import type { CompareEvent } from '../../common/lab-types.ts';

/** Reads an NDJSON answer of POST /api/compare line by line, calling `onEvent` as each line arrives. */
export async function readEvents(response: Response, onEvent: (e: CompareEvent) => void = () => {}): Promise<CompareEvent[]> {
  const events: CompareEvent[] = [];
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (value) buffer += value;
    let i: number;
    while ((i = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      if (!line.trim()) continue;
      const event = JSON.parse(line) as CompareEvent;
      events.push(event);
      onEvent(event);
    }
    if (done) return events;
  }
}
