import assert from 'node:assert/strict'
import { test } from 'node:test'

import type { GlobalSettings, ProjectSettings } from '../api/settings.js'
import { withLock } from './locks.js'
import { globalForm, globalUpdate, parseAttempts, projectForm, projectUpdate } from './settingsForm.js'

const global: GlobalSettings = {
  provider: 'openai',
  model: 'gpt-x',
  base_url: null,
  autofix: true,
  autofix_attempts: 2,
  keys: {
    openai: { set: true, hint: 'sk-…abcd', source: 'environment' },
    anthropic: { set: false, hint: null, source: null },
  },
  providers: [
    { name: 'openai', label: 'OpenAI', needs_key: true },
    { name: 'anthropic', label: 'Anthropic', needs_key: true },
  ],
  effective: { provider: 'openai', model: 'gpt-x', label: 'OpenAI gpt-x' },
}

const project: ProjectSettings = {
  provider: null,
  model: null,
  autofix_attempts: null,
  locked_files: [],
  effective: { provider: 'openai', model: 'gpt-x', label: 'OpenAI gpt-x', autofix: true, autofix_attempts: 2 },
}

test('attempts are whole numbers from 0 to 5', () => {
  assert.deepEqual(parseAttempts('3', false), { ok: true, value: 3 })
  assert.deepEqual(parseAttempts(' ', true), { ok: true, value: null })
  assert.equal(parseAttempts('', false).ok, false)
  assert.equal(parseAttempts('6', true).ok, false)
  assert.equal(parseAttempts('1.5', true).ok, false)
  assert.equal(parseAttempts('-1', true).ok, false)
})

test('the server-wide form sends only what changed, and typed keys', () => {
  const unchanged = globalUpdate(global, globalForm(global))
  assert.deepEqual(unchanged, { ok: true, value: {} })
  const form = { ...globalForm(global), provider: 'anthropic', model: '', autofix: false, attempts: '4', anthropicKey: ' sk-ant ' }
  assert.deepEqual(globalUpdate(global, form), {
    ok: true,
    value: { provider: 'anthropic', model: null, autofix: false, autofix_attempts: 4, anthropic_api_key: 'sk-ant' },
  })
  assert.equal(globalUpdate(global, { ...form, attempts: '9' }).ok, false)
})

test('project overrides: emptied fields go back to the server-wide ones', () => {
  assert.deepEqual(projectForm(project), { provider: '', model: '', attempts: '' })
  assert.deepEqual(projectUpdate(project, { provider: 'anthropic', model: 'claude-x', attempts: '0' }), {
    ok: true,
    value: { provider: 'anthropic', model: 'claude-x', autofix_attempts: 0 },
  })
  const overridden = { ...project, provider: 'anthropic', model: 'claude-x', autofix_attempts: 1 }
  assert.deepEqual(projectUpdate(overridden, { provider: '', model: ' ', attempts: '' }), {
    ok: true,
    value: { provider: null, model: null, autofix_attempts: null },
  })
})

test('locking and unlocking keep one sorted list', () => {
  assert.deepEqual(withLock(['b.ts'], 'a.ts'), ['a.ts', 'b.ts'])
  assert.deepEqual(withLock(['a.ts', 'b.ts'], 'a.ts'), ['b.ts'])
  assert.deepEqual(withLock(['a.ts'], 'a.ts', true), ['a.ts'])
  assert.deepEqual(withLock([], 'a.ts', false), [])
})
