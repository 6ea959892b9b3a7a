import assert from 'node:assert/strict'
import { test } from 'node:test'

import { projectKeyIsClearable, projectKeySourceText, type GlobalSettings, type ProjectSettings } from '../api/settings.js'
import { withLock } from './locks.js'
import {
  clearProjectKey,
  globalForm,
  globalUpdate,
  parseAttempts,
  projectForm,
  projectKeyName,
  projectUpdate,
} from './settingsForm.js'

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
  base_url: null,
  autofix_attempts: null,
  locked_files: [],
  keys: {
    openai: { set: true, hint: 'sk-…abcd', source: 'settings' },
    anthropic: { set: false, hint: null, source: null },
  },
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

const noKeys = { openaiKey: '', anthropicKey: '' }

test('project overrides: emptied fields go back to the server-wide ones', () => {
  assert.deepEqual(projectForm(project), { provider: '', model: '', baseUrl: '', attempts: '', ...noKeys })
  assert.deepEqual(projectUpdate(project, { provider: 'anthropic', model: 'claude-x', baseUrl: '', attempts: '0', ...noKeys }), {
    ok: true,
    value: { provider: 'anthropic', model: 'claude-x', autofix_attempts: 0 },
  })
  const overridden = {
    ...project,
    provider: 'anthropic',
    model: 'claude-x',
    base_url: 'http://localhost:9/',
    autofix_attempts: 1,
  }
  assert.deepEqual(projectForm(overridden).baseUrl, 'http://localhost:9/')
  assert.deepEqual(projectUpdate(overridden, { provider: '', model: ' ', baseUrl: ' ', attempts: '', ...noKeys }), {
    ok: true,
    value: { provider: null, model: null, base_url: null, autofix_attempts: null },
  })
  assert.deepEqual(projectUpdate(overridden, projectForm(overridden)), { ok: true, value: {} })
})

test('a project base URL is sent trimmed, and only when it changed', () => {
  const form = { ...projectForm(project), baseUrl: ' http://10.0.0.5:8000/v1 ' }
  assert.deepEqual(projectUpdate(project, form), { ok: true, value: { base_url: 'http://10.0.0.5:8000/v1' } })
  const saved = { ...project, base_url: 'http://10.0.0.5:8000/v1' }
  assert.deepEqual(projectUpdate(saved, form), { ok: true, value: {} })
})

test('the project form asks for the key of the provider in effect', () => {
  const form = projectForm(project)
  assert.equal(projectKeyName(project, form), 'openai')
  assert.equal(projectKeyName(project, { ...form, provider: 'anthropic' }), 'anthropic')
  assert.equal(projectKeyName(project, { ...form, provider: 'offline' }), null)
  const offline = { ...project, effective: { ...project.effective, provider: 'offline' } }
  assert.equal(projectKeyName(offline, form, 'openai'), null)
  // Removing the project's own provider: the server-wide one is the one in effect.
  const onAnthropic = { ...project, provider: 'anthropic', effective: { ...project.effective, provider: 'anthropic' } }
  assert.equal(projectKeyName(onAnthropic, form, 'openai'), 'openai')
  assert.equal(projectKeyName(onAnthropic, form), null)
})

test('a typed project key is sent trimmed, for the provider in effect only', () => {
  const form = { ...projectForm(project), openaiKey: ' sk-project ' }
  assert.deepEqual(projectUpdate(project, form), { ok: true, value: { openai_api_key: 'sk-project' } })
  // A key typed before switching provider stays behind; the new provider's key goes.
  const switched = { ...form, provider: 'anthropic', anthropicKey: 'sk-ant-project' }
  assert.deepEqual(projectUpdate(project, switched), {
    ok: true,
    value: { provider: 'anthropic', anthropic_api_key: 'sk-ant-project' },
  })
  assert.deepEqual(projectUpdate(project, { ...form, provider: 'offline' }), { ok: true, value: { provider: 'offline' } })
  // Blank is "keep the key": clearing is a separate action.
  assert.deepEqual(projectUpdate(project, { ...form, openaiKey: '   ' }), { ok: true, value: {} })
  assert.deepEqual(clearProjectKey('openai'), { openai_api_key: '' })
  assert.deepEqual(clearProjectKey('anthropic'), { anthropic_api_key: '' })
  // After a save the form starts empty again: keys are never read back.
  const saved = { ...project, keys: { ...project.keys, openai: { set: true, hint: 'sk-…ject', source: 'project' } } }
  assert.deepEqual(projectForm(saved).openaiKey, '')
  // Keeping the default provider: the project's own effective provider decides, not the server-wide one.
  assert.deepEqual(projectUpdate(project, form, 'anthropic'), { ok: true, value: { openai_api_key: 'sk-project' } })
})

test('only a key saved for the project can be cleared from it', () => {
  assert.equal(projectKeyIsClearable({ set: true, hint: 'sk-…ject', source: 'project' }), true)
  assert.equal(projectKeyIsClearable({ set: true, hint: 'sk-…abcd', source: 'settings' }), false)
  assert.equal(projectKeyIsClearable({ set: true, hint: 'sk-…abcd', source: 'env' }), false)
  assert.equal(projectKeyIsClearable({ set: false, hint: null, source: null }), false)
  assert.equal(projectKeyIsClearable(undefined), false)
  assert.equal(projectKeySourceText('project'), 'saved for this project')
  assert.equal(projectKeySourceText('settings'), 'server-wide')
  assert.equal(projectKeySourceText('env'), 'from the environment')
})

test('locking and unlocking keep one sorted list', () => {
  assert.deepEqual(withLock(['b.ts'], 'a.ts'), ['a.ts', 'b.ts'])
  assert.deepEqual(withLock(['a.ts', 'b.ts'], 'a.ts'), ['b.ts'])
  assert.deepEqual(withLock(['a.ts'], 'a.ts', true), ['a.ts'])
  assert.deepEqual(withLock([], 'a.ts', false), [])
})
