import { useEffect, useRef, useState } from 'react'

import { errorMessage } from '../api/client'
import { settingsApi, type GlobalSettings, type ProjectSettings, type ProjectSettingsUpdate } from '../api/settings'
import { MAX_AUTOFIX_ATTEMPTS, projectForm, projectUpdate, type ProjectForm } from '../state/settingsForm'
import { GearIcon } from './icons'

interface Props {
  settings: ProjectSettings | null
  onSave: (update: Omit<ProjectSettingsUpdate, 'locked_files'>) => Promise<ProjectSettings>
  /** The model this project now uses (for the chat's model label). */
  onSaved: (label: string) => void
}

type Message = { kind: 'success' | 'error'; text: string }

/**
 * The project's own model and number of automatic fix attempts, over the server-wide
 * settings. An empty field means "as the server-wide settings say".
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

  const save = async () => {
    const parsed = projectUpdate(settings, form)
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

  const providers = global?.providers ?? []
  const known = providers.some((p) => p.name === form.provider)
  const defaultLabel = global ? global.effective.label : 'server-wide setting'
  const effective = settings?.effective

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
