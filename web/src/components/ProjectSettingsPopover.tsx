import { useEffect, useRef, useState } from 'react'

import { errorMessage } from '../api/client'
import {
  projectKeyIsClearable,
  projectKeySourceText,
  settingsApi,
  type GlobalSettings,
  type KeyInfo,
  type KeyName,
  type ProjectSettings,
  type ProjectSettingsUpdate,
} from '../api/settings'
import {
  clearProjectKey,
  MAX_AUTOFIX_ATTEMPTS,
  PROJECT_KEY_FIELDS,
  projectForm,
  projectKeyName,
  projectUpdate,
  type ProjectForm,
} from '../state/settingsForm'
import { GearIcon } from './icons'
import { KeyStatus } from './KeyStatus'

interface Props {
  settings: ProjectSettings | null
  onSave: (update: Omit<ProjectSettingsUpdate, 'locked_files'>) => Promise<ProjectSettings>
  /** The model this project now uses (for the chat's model label). */
  onSaved: (label: string) => void
}

type Message = { kind: 'success' | 'error'; text: string }

const KEY_LABELS: Record<KeyName, string> = { openai: 'OpenAI', anthropic: 'Anthropic' }

/**
 * The project's own model, base URL, API key and number of automatic fix attempts, over the
 * server-wide settings. An empty field means "as the server-wide settings say"; the key
 * input is write-only and shows beside it only a hint of the key in effect and its origin.
 */
export function ProjectSettingsPopover({ settings, onSave, onSaved }: Props) {
  const [open, setOpen] = useState(false)
  const [form, setForm] = useState<ProjectForm>(() => projectForm(settings))
  const [global, setGlobal] = useState<GlobalSettings | null>(null)
  const [saving, setSaving] = useState(false)
  const [message, setMessage] = useState<Message | null>(null)
  const rootRef = useRef<HTMLDivElement>(null)

  // Opening starts from what the server has, and fetches the providers to choose from.
  useEffect(() => {
    if (!open) return
    setForm(projectForm(settings))
    setMessage(null)
    const controller = new AbortController()
    settingsApi.get(controller.signal).then(setGlobal, () => undefined)
    return () => controller.abort()
    // Only when it opens: later answers must not overwrite what the user is typing.
  }, [open])

  // Clicking elsewhere or Escape closes it.
  useEffect(() => {
    if (!open) return
    const onPointer = (event: PointerEvent) => {
      if (rootRef.current && !rootRef.current.contains(event.target as Node)) setOpen(false)
    }
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') setOpen(false)
    }
    document.addEventListener('pointerdown', onPointer)
    document.addEventListener('keydown', onKey)
    return () => {
      document.removeEventListener('pointerdown', onPointer)
      document.removeEventListener('keydown', onKey)
    }
  }, [open])

  const serverWide = global?.effective.provider ?? null

  const save = async () => {
    const parsed = projectUpdate(settings, form, serverWide)
    if (!parsed.ok) {
      setMessage({ kind: 'error', text: parsed.message })
      return
    }
    setSaving(true)
    setMessage(null)
    try {
      const saved = await onSave(parsed.value)
      setForm(projectForm(saved))
      setMessage({ kind: 'success', text: 'Saved.' })
      onSaved(saved.effective.label)
    } catch (error) {
      setMessage({ kind: 'error', text: errorMessage(error) })
    } finally {
      setSaving(false)
    }
  }

  /** Removes the project's own key at once; the server-wide one (if any) applies again. */
  const clearKey = async (name: KeyName) => {
    setSaving(true)
    setMessage(null)
    try {
      const saved = await onSave(clearProjectKey(name))
      setForm((current) => ({ ...current, [PROJECT_KEY_FIELDS[name]]: '' }))
      setMessage({ kind: 'success', text: `The project's ${KEY_LABELS[name]} key was removed.` })
      onSaved(saved.effective.label)
    } catch (error) {
      setMessage({ kind: 'error', text: errorMessage(error) })
    } finally {
      setSaving(false)
    }
  }

  const providers = global?.providers ?? []
  const known = providers.some((p) => p.name === form.provider)
  const defaultLabel = global ? global.effective.label : 'server-wide setting'
  const effective = settings?.effective
  const keyName = projectKeyName(settings, form, serverWide)
  // A base URL is inherited only by a project that keeps the server-wide provider.
  const inheritsBaseUrl = form.provider === '' || form.provider === serverWide
  const envBaseUrl = !global?.provider || global.provider === global.defaults?.provider ? global?.defaults?.base_url : null
  const inheritedBaseUrl = global?.base_url ?? envBaseUrl ?? null

  return (
    <div className="popover-anchor" ref={rootRef}>
      <button
        type="button"
        className="icon-button"
        data-testid="project-settings"
        aria-expanded={open}
        aria-haspopup="dialog"
        title="Project settings"
        aria-label="Project settings"
        onClick={() => setOpen((value) => !value)}
      >
        <GearIcon size={15} />
      </button>
      {open && (
        <form
          noValidate
          className="popover"
          role="dialog"
          aria-label="Project settings"
          onSubmit={(event) => {
            event.preventDefault()
            void save()
          }}
        >
          <div className="popover-title">Project settings</div>
          <p className="muted small">Empty fields follow the server-wide settings.</p>
          <label className="field">
            <span>Provider</span>
            <select
              data-testid="project-provider"
              value={form.provider}
              onChange={(event) => setForm({ ...form, provider: event.target.value })}
            >
              <option value="">Default ({defaultLabel})</option>
              {!known && form.provider && <option value={form.provider}>{form.provider}</option>}
              {providers.map((p) => (
                <option key={p.name} value={p.name}>
                  {p.label}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>Model</span>
            <input
              data-testid="project-model"
              type="text"
              value={form.model}
              placeholder={global?.effective.model ?? 'Default'}
              spellCheck={false}
              autoComplete="off"
              onChange={(event) => setForm({ ...form, model: event.target.value })}
            />
          </label>
          <label className="field">
            <span>Base URL</span>
            <input
              data-testid="project-base-url"
              type="url"
              value={form.baseUrl}
              placeholder={inheritsBaseUrl && inheritedBaseUrl ? `Default (${inheritedBaseUrl})` : "The provider's own endpoint"}
              spellCheck={false}
              autoComplete="off"
              onChange={(event) => setForm({ ...form, baseUrl: event.target.value })}
            />
          </label>
          {keyName && (
            <ProjectKeyField
              name={keyName}
              info={settings?.keys?.[keyName]}
              value={form[PROJECT_KEY_FIELDS[keyName]]}
              disabled={saving}
              onChange={(value) => setForm({ ...form, [PROJECT_KEY_FIELDS[keyName]]: value })}
              onClear={() => void clearKey(keyName)}
            />
          )}
          <label className="field">
            <span>Automatic fix attempts</span>
            <input
              data-testid="project-autofix-attempts"
              type="number"
              min={0}
              max={MAX_AUTOFIX_ATTEMPTS}
              step={1}
              value={form.attempts}
              placeholder={global ? `Default (${global.autofix ? global.autofix_attempts : 'off'})` : 'Default'}
              onChange={(event) => setForm({ ...form, attempts: event.target.value })}
            />
          </label>
          {effective && (
            <p className="small muted" data-testid="project-effective">
              Uses {effective.label}
              {effective.autofix ? `, up to ${effective.autofix_attempts} automatic fixes` : ', no automatic fixes'}
            </p>
          )}
          <div className="popover-actions">
            {message && (
              <span
                className={`form-message ${message.kind}`}
                data-testid="project-settings-message"
                data-kind={message.kind}
                role={message.kind === 'error' ? 'alert' : 'status'}
              >
                {message.text}
              </span>
            )}
            <button type="submit" className="button primary small" data-testid="project-settings-save" disabled={saving}>
              {saving ? 'Saving…' : 'Save'}
            </button>
          </div>
        </form>
      )}
    </div>
  )
}

interface KeyFieldProps {
  name: KeyName
  info: KeyInfo | undefined
  value: string
  disabled: boolean
  onChange: (value: string) => void
  onClear: () => void
}

/** A write-only key for this project: empty after saving; beside it, the key in effect. */
function ProjectKeyField({ name, info, value, disabled, onChange, onClear }: KeyFieldProps) {
  const id = `project-${name}-key`
  return (
    <div className="field key-field">
      <label htmlFor={id}>{KEY_LABELS[name]} API key</label>
      <div className="key-row">
        <input
          id={id}
          data-testid={id}
          type="password"
          value={value}
          placeholder={info?.set ? 'A key for this project only' : 'Paste a key'}
          autoComplete="new-password"
          spellCheck={false}
          onChange={(event) => onChange(event.target.value)}
        />
        <KeyStatus
          id={id}
          set={Boolean(info?.set)}
          hint={info?.hint}
          sourceText={info?.source ? projectKeySourceText(info.source) : null}
          clearable={Boolean(info && projectKeyIsClearable(info))}
          disabled={disabled}
          onClear={onClear}
        />
      </div>
    </div>
  )
}
