/**
 * A reader for `text/event-stream` bodies delivered to `fetch` (EventSource cannot POST).
 *
 * Events are separated by a blank line; each `data:` line of an event is one piece of its
 * payload (several are joined with "\n", as the SSE specification says). Comment lines
 * (`:`) and the other fields (`event:`, `id:`, `retry:`) are ignored: Tessera's events
 * carry their type inside the JSON.
 */

/** Splits a growing text buffer into complete SSE blocks; keeps the unfinished rest. */
export class SseParser {
  private buffer = ''

  /** Feeds a decoded chunk; returns the `data` payload of each event it completed. */
  push(chunk: string): string[] {
    this.buffer += chunk
    // Normalise line endings (CRLF or CR) so that a blank line is always "\n\n".
    if (this.buffer.includes('\r')) this.buffer = this.buffer.replace(/\r\n?/g, '\n')
    const out: string[] = []
    let end = this.buffer.indexOf('\n\n')
    while (end !== -1) {
      const block = this.buffer.slice(0, end)
      this.buffer = this.buffer.slice(end + 2)
      const data = dataOf(block)
      if (data !== null) out.push(data)
      end = this.buffer.indexOf('\n\n')
    }
    return out
  }

  /** Flushes what is left when the stream ends (a last event without its blank line). */
  finish(): string[] {
    const rest = this.buffer
    this.buffer = ''
    const data = dataOf(rest)
    return data === null ? [] : [data]
  }
}

function dataOf(block: string): string | null {
  const lines: string[] = []
  for (const line of block.split('\n')) {
    if (line.startsWith('data:')) {
      const value = line.slice(5)
      lines.push(value.startsWith(' ') ? value.slice(1) : value)
    }
  }
  return lines.length > 0 ? lines.join('\n') : null
}

/**
 * Yields each event of an SSE response body as parsed JSON. A `data:` payload that is not
 * JSON is skipped (reported on the console), so that one bad line cannot end a run's view.
 */
export async function* readSseJson(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  const parser = new SseParser()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      const payloads = done ? [...parser.push(decoder.decode()), ...parser.finish()] : parser.push(decoder.decode(value, { stream: true }))
      for (const payload of payloads) {
        try {
          yield JSON.parse(payload) as unknown
        } catch {
          console.warn('tessera: skipped an SSE payload that is not JSON:', payload.slice(0, 200))
        }
      }
      if (done) return
    }
  } finally {
    reader.releaseLock()
  }
}
