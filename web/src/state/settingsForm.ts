/**
 * The settings forms as the user fills them (strings, as inputs hold them) and the partial
 * updates they become: only what changed is sent, an emptied field goes back to the default
 * (null), and a typed key is sent once and never shown again.
 */

import type {
  GlobalSettings,
  GlobalSettingsUpdate,
  KeyName,
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
  /** "" : the server-wide base URL (or, for another provider, that provider's own). */
  baseUrl: string
  /** "" : the server-wide number of attempts. */
  attempts: string
  /** Typed keys, sent once (only the one of the provider in effect) and never shown again. */
  openaiKey: string
  anthropicKey: string
}

/** The form field holding each provider's typed key. */
export const PROJECT_KEY_FIELDS: Record<KeyName, 'openaiKey' | 'anthropicKey'> = {
  openai: 'openaiKey',
  anthropic: 'anthropicKey',
}

/** The update that removes a project's own key, so that the server-wide one applies again. */
export function clearProjectKey(name: KeyName): Pick<ProjectSettingsUpdate, 'openai_api_key' | 'anthropic_api_key'> {
  return name === 'openai' ? { openai_api_key: '' } : { anthropic_api_key: '' }
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
    baseUrl: settings?.base_url ?? '',
    attempts: settings?.autofix_attempts === null || settings?.autofix_attempts === undefined ? '' : String(settings.autofix_attempts),
    openaiKey: '',
    anthropicKey: '',
  }
}

const isKeyName = (name: string | null | undefined): name is KeyName => name === 'openai' || name === 'anthropic'

/**
 * The provider whose key the project form asks for: the one chosen in the form; with none
 * chosen, the one the project uses now, or `serverWide` (the server-wide provider) when the
 * form removes the project's own choice. Null when that provider needs no key (offline).
 */
export function projectKeyName(
  loaded: ProjectSettings | null,
  form: ProjectForm,
  serverWide: string | null = null,
): KeyName | null {
  const chosen = optional(form.provider)
  if (chosen !== null) return isKeyName(chosen) ? chosen : null
  const inEffect = loaded?.provider ? serverWide : (loaded?.effective.provider ?? serverWide)
  return isKeyName(inEffect) ? inEffect : null
}

/**
 * What to PUT to the project's settings: changed overrides (emptied ones become null), and
 * the key typed for the provider in effect (see `projectKeyName`); a key typed for another
 * provider before switching is not sent.
 */
export function projectUpdate(
  loaded: ProjectSettings | null,
  form: ProjectForm,
  serverWide: string | null = null,
): Parsed<Omit<ProjectSettingsUpdate, 'locked_files'>> {
  const attempts = parseAttempts(form.attempts, true)
  if (!attempts.ok) return attempts
  const update: Omit<ProjectSettingsUpdate, 'locked_files'> = {}
  const provider = optional(form.provider)
  if (provider !== (loaded?.provider || null)) update.provider = provider
  const model = optional(form.model)
  if (model !== (loaded?.model || null)) update.model = model
  const baseUrl = optional(form.baseUrl)
  if (baseUrl !== (loaded?.base_url || null)) update.base_url = baseUrl
  if (attempts.value !== (loaded?.autofix_attempts ?? null)) update.autofix_attempts = attempts.value
  const keyName = projectKeyName(loaded, form, serverWide)
  const key = keyName === null ? null : optional(form[PROJECT_KEY_FIELDS[keyName]])
  if (keyName === 'openai' && key !== null) update.openai_api_key = key
  if (keyName === 'anthropic' && key !== null) update.anthropic_api_key = key
  return { ok: true, value: update }
}
