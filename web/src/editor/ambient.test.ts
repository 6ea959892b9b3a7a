import assert from 'node:assert/strict'
import { test } from 'node:test'

import { UNTYPED_PACKAGE_DIAGNOSTICS, ambientDeclarations, dependencyNames } from './ambient.js'

const packageJson = JSON.stringify({
  dependencies: { react: '^19', 'react-dom': '^19' },
  devDependencies: { '@vitejs/plugin-react': '^6', vite: '^8' },
})

test('every listed package is declared, with its subpaths', () => {
  assert.deepEqual(dependencyNames(packageJson), ['@vitejs/plugin-react', 'react', 'react-dom', 'vite'])
  const text = ambientDeclarations(packageJson)
  assert.match(text, /declare module "react";/)
  assert.match(text, /declare module "react\/\*";/, 'react/jsx-runtime is covered')
  assert.match(text, /declare module "@vitejs\/plugin-react";/)
})

test('packages the project does not list are not declared (their import is a real error)', () => {
  const text = ambientDeclarations(packageJson)
  assert.doesNotMatch(text, /"lodash"/)
  assert.doesNotMatch(text, /declare module "\*";/, 'no catch-all: relative imports must resolve to real files')
})

test('assets, Node modules and import.meta.env are always declared', () => {
  const text = ambientDeclarations(null)
  assert.match(text, /declare module "\*\.css";/)
  assert.match(text, /declare module "node:\*";/)
  assert.match(text, /interface ImportMeta \{/)
})

test('an unreadable package.json declares no package', () => {
  assert.deepEqual(dependencyNames('{ not json'), [])
  assert.deepEqual(dependencyNames('[]'), [])
  assert.deepEqual(dependencyNames(JSON.stringify({ dependencies: { 'bad name"': '1' } })), [])
})

test('key is allowed on every element; untyped-package diagnostics are ignored', () => {
  assert.match(ambientDeclarations(null), /interface IntrinsicAttributes \{ key\?/)
  assert.deepEqual(UNTYPED_PACKAGE_DIAGNOSTICS, [2347, 2709])
})
