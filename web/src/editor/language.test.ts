import assert from 'node:assert/strict'
import { test } from 'node:test'

import { languageForPath } from './language.js'

test('maps the usual extensions', () => {
  const cases: Array<[string, string]> = [
    ['src/main.js', 'javascript'],
    ['src/App.jsx', 'javascript'],
    ['src/util.ts', 'typescript'],
    ['src/App.tsx', 'typescript'],
    ['src/index.css', 'css'],
    ['index.html', 'html'],
    ['package.json', 'json'],
    ['README.md', 'markdown'],
    ['api/app.py', 'python'],
  ]
  for (const [path, language] of cases) assert.equal(languageForPath(path), language, path)
})

test('ignores the case of the extension', () => {
  assert.equal(languageForPath('src/App.TSX'), 'typescript')
  assert.equal(languageForPath('NOTES.MD'), 'markdown')
})

test('falls back to plaintext', () => {
  for (const path of ['Dockerfile', '.gitignore', 'src/.env', 'data.csv', 'a/b.c/README', 'logo.svg', '']) {
    assert.equal(languageForPath(path), 'plaintext', path)
  }
})

test('uses only the last extension', () => {
  assert.equal(languageForPath('vite.config.ts'), 'typescript')
  assert.equal(languageForPath('src/styles.module.css'), 'css')
  assert.equal(languageForPath('archive.json.bak'), 'plaintext')
})
