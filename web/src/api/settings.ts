/**
 * Settings: the server-wide choice of model and keys (`/api/settings`) and a project's
 * overrides, own keys and locked files (`/api/projects/{id}/settings`). Keys are write-only:
 * the server answers with a hint ("sk-…abcd") and where the key comes from, never the key.
 */

import { projectUrl, request } from './client'

export interface KeyInfo {
  set: boolean
  /** A recognisable fragment of the key, e.g. "sk-…abcd". */
  hint: string | null
  /**
   * Where the key comes from: "env" (the server's environment), "settings" (saved in the
   * server-wide settings) or, in a project's settings, "project" (saved for that project).
   */
  source: string | null
}

export interface ProviderOption {
  name: string
  label: string
  needs_key: boolean
}

export interface EffectiveModel {
  provider: string
  model: string
  label: string
}

export type KeyName = 'openai' | 'anthropic'

export interface GlobalSettings {
  provider: string | null
  model: string | null
  base_url: string | null
  autofix: boolean
  autofix_attempts: number
  keys: Record<KeyName, KeyInfo>
  providers: ProviderOption[]
  effective: EffectiveModel
  /** What an emptied field falls back to (the environment's choice), when the server says. */
  defaults?: {
    provider: string | null
    model: string | null
    base_url: string | null
    autofix: boolean
    autofix_attempts: number
  }
}

/** Only the fields present change; a key of "" removes the saved key. */
export interface GlobalSettingsUpdate {
  provider?: string | null
  model?: string | null
  base_url?: string | null
  autofix?: boolean
  autofix_attempts?: number
  openai_api_key?: string
  anthropic_api_key?: string
}

export interface ProjectSettings {
  /** Null: the server-wide setting applies. */
  provider: string | null
  model: string | null
  base_url: string | null
  autofix_attempts: number | null
  /** Files the model may not change (the user still may). */
  locked_files: string[]
  /** The key each provider would use in this project, and which layer it comes from. */
  keys: Record<KeyName, KeyInfo>
  effective: EffectiveModel & { autofix: boolean; autofix_attempts: number }
}

/** Only the fields present change; null (or "" for a key) goes back to the server-wide value. */
export interface ProjectSettingsUpdate {
  provider?: string | null
  model?: string | null
  base_url?: string | null
  autofix_attempts?: number | null
  locked_files?: string[]
  openai_api_key?: string | null
  anthropic_api_key?: string | null
}

export const settingsApi = {
  get: (signal?: AbortSignal) => request<GlobalSettings>('GET', '/api/settings', undefined, { signal }),
  update: (update: GlobalSettingsUpdate) => request<GlobalSettings>('PUT', '/api/settings', update),
  getProject: (id: string, signal?: AbortSignal) =>
    request<ProjectSettings>('GET', `${projectUrl(id)}/settings`, undefined, { signal }),
  updateProject: (id: string, update: ProjectSettingsUpdate) =>
    request<ProjectSettings>('PUT', `${projectUrl(id)}/settings`, update),
}

/** "from the environment" or "saved", for the line beside a key's input. */
export function keySourceText(source: string | null): string {
  if (!source) return ''
  if (/env/i.test(source)) return 'from the environment'
  if (/sav|stor|setting|database|db/i.test(source)) return 'saved'
  return source
}

/** A key saved in Tessera's settings can be cleared there; one from the environment cannot. */
export function keyIsClearable(info: KeyInfo): boolean {
  return info.set && !/env/i.test(info.source ?? '')
}

/** Where a project's key comes from, for the line beside its input in the project's settings. */
export function projectKeySourceText(source: string | null): string {
  if (source === 'project') return 'saved for this project'
  if (source === 'settings') return 'server-wide'
  return keySourceText(source)
}

/** Only a key saved for the project can be cleared from its settings (the others are inherited). */
export function projectKeyIsClearable(info: KeyInfo | undefined): boolean {
  return Boolean(info?.set && info.source === 'project')
}
