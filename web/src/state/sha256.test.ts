import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'

import { sha256Hex } from './sha256.js'

const reference = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex')

test('the sha of a text is the server’s (sha256 of its UTF-8 bytes)', () => {
  assert.equal(sha256Hex(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
  assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  for (const text of ['export const x = 1\n', 'naïve ✓ 日本語 🎉', 'a'.repeat(55), 'b'.repeat(56), 'c'.repeat(64), 'd'.repeat(1000)]) {
    assert.equal(sha256Hex(text), reference(text), JSON.stringify(text.slice(0, 20)))
  }
})

test('a large file hashes right', () => {
  const text = Array.from({ length: 5000 }, (_, i) => `line ${i}: const value${i} = ${i * 7}`).join('\n')
  assert.equal(sha256Hex(text), reference(text))
})
