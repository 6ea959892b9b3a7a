/**
 * The settings forms as the user fills them (strings, as inputs hold them) and the partial
 * updates they become: only what changed is sent, an emptied field goes back to the default
 * (null), and a typed key is sent once and never shown again.
 */

import type {
  GlobalSettings,
  GlobalSettingsUpdate,
  ProjectSettings,
  ProjectSettingsUpdate,
} from '../api/settings'

export const MAX_AUTOFIX_ATTEMPTS = 5

export interface GlobalForm {
  provider: string
  model: string
  baseUrl: string
  autofix: boolean
  attempts: string
  openaiKey: string
  anthropicKey: string
}

export interface ProjectForm {
  /** "" : the server-wide provider. */
  provider: string
  model: string
  /** "" : the server-wide number of attempts. */
  attempts: string
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string }

/** A whole number of automatic fix attempts, 0 to 5; empty is `null` when allowed. */
export function parseAttempts(text: string, allowEmpty: boolean): Parsed<number | null> {
  const value = text.trim()
  if (value === '') {
    return allowEmpty ? { ok: true, value: null } : { ok: false, message: 'Enter a number of attempts from 0 to 5.' }
  }
  const number = Number(value)
  if (!Number.isInteger(number) || number < 0 || number > MAX_AUTOFIX_ATTEMPTS) {
    return { ok: false, message: `Attempts must be a whole number from 0 to ${MAX_AUTOFIX_ATTEMPTS}.` }
  }
  return { ok: true, value: number }
}

const optional = (text: string): string | null => (text.trim() === '' ? null : text.trim())

export function globalForm(settings: GlobalSettings): GlobalForm {
  return {
    provider: settings.provider ?? '',
    model: settings.model ?? '',
    baseUrl: settings.base_url ?? '',
    autofix: settings.autofix,
    attempts: String(settings.autofix_attempts),
    openaiKey: '',
    anthropicKey: '',
  }
}

/** What to PUT to `/api/settings`: the fields that differ from `loaded`, and typed keys. */
export function globalUpdate(loaded: GlobalSettings, form: GlobalForm): Parsed<GlobalSettingsUpdate> {
  const attempts = parseAttempts(form.attempts, false)
  if (!attempts.ok) return attempts
  const update: GlobalSettingsUpdate = {}
  const provider = optional(form.provider)
  if (provider !== (loaded.provider || null)) update.provider = provider
  const model = optional(form.model)
  if (model !== (loaded.model || null)) update.model = model
  const baseUrl = optional(form.baseUrl)
  if (baseUrl !== (loaded.base_url || null)) update.base_url = baseUrl
  if (form.autofix !== loaded.autofix) update.autofix = form.autofix
  if (attempts.value !== loaded.autofix_attempts && attempts.value !== null) update.autofix_attempts = attempts.value
  if (form.openaiKey.trim()) update.openai_api_key = form.openaiKey.trim()
  if (form.anthropicKey.trim()) update.anthropic_api_key = form.anthropicKey.trim()
  return { ok: true, value: update }
}

export function projectForm(settings: ProjectSettings | null): ProjectForm {
  return {
    provider: settings?.provider ?? '',
    model: settings?.model ?? '',
    attempts: settings?.autofix_attempts === null || settings?.autofix_attempts === undefined ? '' : String(settings.autofix_attempts),
  }
}

/** What to PUT to the project's settings: changed overrides; emptied ones become null. */
export function projectUpdate(loaded: ProjectSettings | null, form: ProjectForm): Parsed<Omit<ProjectSettingsUpdate, 'locked_files'>> {
  const attempts = parseAttempts(form.attempts, true)
  if (!attempts.ok) return attempts
  const update: Omit<ProjectSettingsUpdate, 'locked_files'> = {}
  const provider = optional(form.provider)
  if (provider !== (loaded?.provider || null)) update.provider = provider
  const model = optional(form.model)
  if (model !== (loaded?.model || null)) update.model = model
  if (attempts.value !== (loaded?.autofix_attempts ?? null)) update.autofix_attempts = attempts.value
  return { ok: true, value: update }
}
