import assert from 'node:assert/strict'
import { test } from 'node:test'

import { chooseTheme, isTheme, nextTheme } from './theme.js'

test('a stored choice wins over the system preference', () => {
  assert.equal(chooseTheme('light', true), 'light')
  assert.equal(chooseTheme('dark', false), 'dark')
})

test('without a valid stored choice, the system preference decides', () => {
  assert.equal(chooseTheme(null, true), 'dark')
  assert.equal(chooseTheme(null, false), 'light')
  assert.equal(chooseTheme('purple', true), 'dark')
})

test('the toggle flips the theme', () => {
  assert.equal(nextTheme('light'), 'dark')
  assert.equal(nextTheme('dark'), 'light')
  assert.ok(isTheme('dark') && !isTheme('Dark'))
})
