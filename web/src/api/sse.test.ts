import assert from 'node:assert/strict'
import { test } from 'node:test'

import { readSseJson, SseParser } from './sse.js'

test('splits events on blank lines, across chunk boundaries', () => {
  const parser = new SseParser()
  assert.deepEqual(parser.push('data: {"a":1}\n\ndata: {"b"'), ['{"a":1}'])
  assert.deepEqual(parser.push(':2}\n'), [])
  assert.deepEqual(parser.push('\n'), ['{"b":2}'])
})

test('handles CRLF, comments, other fields and several data lines', () => {
  const parser = new SseParser()
  const out = parser.push(': keep-alive\r\n\r\nevent: x\r\nid: 3\r\ndata: one\r\ndata:two\r\n\r\n')
  assert.deepEqual(out, ['one\ntwo'])
})

test('flushes a last event that has no blank line', () => {
  const parser = new SseParser()
  assert.deepEqual(parser.push('data: {"last":true}'), [])
  assert.deepEqual(parser.finish(), ['{"last":true}'])
  assert.deepEqual(parser.finish(), [])
})

test('reads JSON events from a byte stream, skipping bad payloads', async () => {
  const text = 'data: {"type":"RUN_STARTED"}\n\ndata: not json\n\ndata: {"type":"TEXT_MESSAGE_CONTENT","delta":"h\u00e9"}\n\n'
  const bytes = new TextEncoder().encode(text)
  // Split inside the two-byte "é" to check that decoding is streamed.
  const cut = text.indexOf('\u00e9') + 1 + 1
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes.slice(0, cut))
      controller.enqueue(bytes.slice(cut))
      controller.close()
    },
  })
  const originalWarn = console.warn
  console.warn = () => {}
  try {
    const events: unknown[] = []
    for await (const event of readSseJson(body)) events.push(event)
    assert.deepEqual(events, [{ type: 'RUN_STARTED' }, { type: 'TEXT_MESSAGE_CONTENT', delta: 'h\u00e9' }])
  } finally {
    console.warn = originalWarn
  }
})
