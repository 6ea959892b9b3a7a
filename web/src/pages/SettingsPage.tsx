import { useEffect, useState } from 'react'

import { api, errorMessage, isAbort, type ServerConfig } from '../api/client'
import { keyIsClearable, keySourceText, settingsApi, type GlobalSettings, type KeyInfo, type KeyName } from '../api/settings'
import { TopBar } from '../components/TopBar'
import { globalForm, globalUpdate, MAX_AUTOFIX_ATTEMPTS, type GlobalForm } from '../state/settingsForm'
import { KeyStatus } from '../components/KeyStatus'

type Message = { kind: 'success' | 'error'; text: string }

const ISOLATION_TEXT: Record<string, string> = {
  bubblewrap: 'each sandbox is isolated with bubblewrap (its own namespaces, an unprivileged user, resource limits)',
  e2b: 'sandboxes run in E2B cloud microVMs',
  none: 'sandboxes run WITHOUT isolation (TESSERA_SANDBOX_ISOLATION=none): apps run as this server’s user',
}

/** Which sandboxes run the apps: chosen by the server's configuration, shown here read-only. */
function SandboxSection() {
  const [config, setConfig] = useState<ServerConfig | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    const controller = new AbortController()
    api.config(controller.signal).then(setConfig, (e: unknown) => {
      if (!isAbort(e)) setError(errorMessage(e))
    })
    return () => controller.abort()
  }, [])
  return (
    <section className="settings-section" aria-labelledby="settings-sandbox-title">
      <h2 id="settings-sandbox-title">Sandboxes</h2>
      <p className="settings-effective" data-testid="settings-sandbox" data-sandbox={config?.sandbox ?? ''} data-isolation={config?.isolation ?? ''}>
        {error ? (
          <span className="error-text">Could not read the server&apos;s configuration: {error}</span>
        ) : config ? (
          <>
            Provider <strong>{config.sandbox}</strong>
            {config.isolation && <> · {ISOLATION_TEXT[config.isolation] ?? `isolation: ${config.isolation}`}</>}
          </>
        ) : (
          <span className="muted">Loading…</span>
        )}
      </p>
      <p className="muted small">
        Set by the server&apos;s configuration (<code>TESSERA_SANDBOX</code>, <code>TESSERA_SANDBOX_ISOLATION</code>); restart
        Tessera to change it.
      </p>
    </section>
  )
}

const KEY_LABELS: Record<KeyName, string> = { openai: 'OpenAI', anthropic: 'Anthropic' }
const KEY_FIELDS: Record<KeyName, 'openaiKey' | 'anthropicKey'> = { openai: 'openaiKey', anthropic: 'anthropicKey' }

/**
 * The server-wide settings: which model writes the code, the keys it needs, and automatic
 * fixes. Every project uses them unless its own settings (in the workspace) say otherwise.
 */
export function SettingsPage() {
  const [settings, setSettings] = useState<GlobalSettings | null>(null)
  const [form, setForm] = useState<GlobalForm | null>(null)
  const [loadError, setLoadError] = useState<string | null>(null)
  const [saving, setSaving] = useState(false)
  const [message, setMessage] = useState<Message | null>(null)

  useEffect(() => {
    document.title = 'Settings · Tessera'
    const controller = new AbortController()
    settingsApi.get(controller.signal).then(
      (loaded) => {
        setSettings(loaded)
        setForm(globalForm(loaded))
      },
      (error: unknown) => {
        if (!isAbort(error)) setLoadError(errorMessage(error))
      },
    )
    return () => controller.abort()
  }, [])

  const save = async () => {
    if (!settings || !form) return
    const parsed = globalUpdate(settings, form)
    if (!parsed.ok) {
      setMessage({ kind: 'error', text: parsed.message })
      return
    }
    setSaving(true)
    setMessage(null)
    try {
      const saved = await settingsApi.update(parsed.value)
      setSettings(saved)
      setForm(globalForm(saved))
      setMessage({ kind: 'success', text: `Saved. Projects now use ${saved.effective.label}.` })
    } catch (error) {
      setMessage({ kind: 'error', text: errorMessage(error) })
    } finally {
      setSaving(false)
    }
  }

  /** Removes a saved key at once (a key from the environment stays). */
  const clearKey = async (name: KeyName) => {
    setSaving(true)
    setMessage(null)
    try {
      const saved = await settingsApi.update(name === 'openai' ? { openai_api_key: '' } : { anthropic_api_key: '' })
      setSettings(saved)
      setMessage({ kind: 'success', text: `The saved ${KEY_LABELS[name]} key was removed.` })
    } catch (error) {
      setMessage({ kind: 'error', text: errorMessage(error) })
    } finally {
      setSaving(false)
    }
  }

  return (
    <div className="page">
      <TopBar>
        <span className="crumb">Settings</span>
      </TopBar>
      <main className="settings-page">
        <h1>Settings</h1>
        <p className="muted">Every project uses these unless its own settings say otherwise.</p>
        {loadError && <p className="error-text">Could not load the settings: {loadError}</p>}
        {!settings && !loadError && <p className="muted">Loading…</p>}
        <SandboxSection />
        {settings && form && (
          <SettingsForm
            settings={settings}
            form={form}
            saving={saving}
            message={message}
            onChange={setForm}
            onSave={() => void save()}
            onClearKey={(name) => void clearKey(name)}
          />
        )}
      </main>
    </div>
  )
}

interface FormProps {
  settings: GlobalSettings
  form: GlobalForm
  saving: boolean
  message: Message | null
  onChange: (form: GlobalForm) => void
  onSave: () => void
  onClearKey: (name: KeyName) => void
}

function SettingsForm({ settings, form, saving, message, onChange, onSave, onClearKey }: FormProps) {
  const providers = settings.providers ?? []
  const chosen = providers.find((p) => p.name === form.provider)
  const defaults = settings.defaults
  const defaultProvider = providers.find((p) => p.name === defaults?.provider)?.label ?? defaults?.provider
  const keyName = chosen && (chosen.name === 'openai' || chosen.name === 'anthropic') ? chosen.name : null
  const missingKey =
    chosen?.needs_key && keyName !== null && !settings.keys[keyName]?.set && !form[KEY_FIELDS[keyName]].trim()

  return (
    <form
      noValidate
      className="settings-form"
      onSubmit={(event) => {
        event.preventDefault()
        onSave()
      }}
    >
      <section className="settings-section">
        <h2>Model</h2>
        <p className="settings-effective" data-testid="settings-effective">
          Now using <strong>{settings.effective.label}</strong>
        </p>
        <label className="field">
          <span>Provider</span>
          <select
            data-testid="settings-provider"
            value={form.provider}
            onChange={(event) => onChange({ ...form, provider: event.target.value })}
          >
            <option value="">{defaultProvider ? `Default (${defaultProvider})` : 'Default (from the environment)'}</option>
            {!chosen && form.provider && <option value={form.provider}>{form.provider}</option>}
            {providers.map((p) => (
              <option key={p.name} value={p.name}>
                {p.label}
              </option>
            ))}
          </select>
        </label>
        {missingKey && (
          <p className="form-note warning">
            {chosen.label} needs an API key: enter it below, or set it in the server&apos;s environment.
          </p>
        )}
        <label className="field">
          <span>Model</span>
          <input
            data-testid="settings-model"
            type="text"
            value={form.model}
            placeholder={
              defaults?.model && (form.provider === '' || form.provider === defaults.provider)
                ? `Default: ${defaults.model}`
                : "The provider's default model"
            }
            spellCheck={false}
            autoComplete="off"
            onChange={(event) => onChange({ ...form, model: event.target.value })}
          />
        </label>
        <label className="field">
          <span>Base URL</span>
          <input
            data-testid="settings-base-url"
            type="url"
            value={form.baseUrl}
            placeholder={
              defaults?.base_url
                ? `Default: ${defaults.base_url}`
                : 'Default endpoint (set one for Ollama, vLLM, LM Studio, OpenRouter…)'
            }
            spellCheck={false}
            autoComplete="off"
            onChange={(event) => onChange({ ...form, baseUrl: event.target.value })}
          />
        </label>
      </section>

      <section className="settings-section">
        <h2>API keys</h2>
        <p className="muted small">Keys are stored on this server and never shown again; a new one replaces the old.</p>
        {(['openai', 'anthropic'] as const).map((name) => (
          <KeyField
            key={name}
            name={name}
            info={settings.keys[name] ?? { set: false, hint: null, source: null }}
            value={form[KEY_FIELDS[name]]}
            disabled={saving}
            onChange={(value) => onChange({ ...form, [KEY_FIELDS[name]]: value })}
            onClear={() => onClearKey(name)}
          />
        ))}
      </section>

      <section className="settings-section">
        <h2>Automatic fixes</h2>
        <label className="checkbox-field">
          <input
            data-testid="settings-autofix"
            type="checkbox"
            checked={form.autofix}
            onChange={(event) => onChange({ ...form, autofix: event.target.checked })}
          />
          <span>Fix the app&apos;s errors automatically after each change</span>
        </label>
        <label className="field narrow">
          <span>Attempts per change (0–{MAX_AUTOFIX_ATTEMPTS})</span>
          <input
            data-testid="settings-autofix-attempts"
            type="number"
            min={0}
            max={MAX_AUTOFIX_ATTEMPTS}
            step={1}
            value={form.attempts}
            onChange={(event) => onChange({ ...form, attempts: event.target.value })}
          />
        </label>
      </section>

      <div className="settings-actions">
        <button type="submit" className="button primary" data-testid="settings-save" disabled={saving}>
          {saving ? 'Saving…' : 'Save'}
        </button>
        {message && (
          <span
            className={`form-message ${message.kind}`}
            data-testid="settings-message"
            data-kind={message.kind}
            role={message.kind === 'error' ? 'alert' : 'status'}
          >
            {message.text}
          </span>
        )}
      </div>
    </form>
  )
}

interface KeyFieldProps {
  name: KeyName
  info: KeyInfo
  value: string
  disabled: boolean
  onChange: (value: string) => void
  onClear: () => void
}

/** A write-only key: the input is always empty after saving; beside it, what is stored. */
function KeyField({ name, info, value, disabled, onChange, onClear }: KeyFieldProps) {
  const id = `settings-${name}-key`
  return (
    <div className="field key-field">
      <label htmlFor={id}>{KEY_LABELS[name]} API key</label>
      <div className="key-row">
        <input
          id={id}
          data-testid={id}
          type="password"
          value={value}
          placeholder={info.set ? 'Enter a new key to replace it' : 'Paste a key'}
          autoComplete="new-password"
          spellCheck={false}
          onChange={(event) => onChange(event.target.value)}
        />
        <KeyStatus
          id={id}
          set={Boolean(info.set)}
          hint={info.hint}
          sourceText={info.source ? keySourceText(info.source) : null}
          clearable={keyIsClearable(info)}
          disabled={disabled}
          onClear={onClear}
        />
      </div>
    </div>
  )
}
