/**
 * Projects beyond listing and opening them: create (optionally from a template), rename,
 * duplicate and import from a zip or a folder.
 */

import { projectUrl, request, requestForm, type Project } from './client'
import type { SkippedFile, UploadEntry } from '../state/uploads'

export type TemplateName = 'react' | 'python' | 'fullstack'

export const TEMPLATES: { name: TemplateName; label: string; description: string }[] = [
  { name: 'react', label: 'React', description: 'React + TypeScript + Vite' },
  { name: 'python', label: 'Python', description: 'A Flask web app' },
  { name: 'fullstack', label: 'Full stack', description: 'React front end + Flask API' },
]

export interface ImportedProject extends Project {
  /** Entries not imported, with why (dependencies, build output, binary files…). */
  skipped?: SkippedFile[]
}

export const projectsApi = {
  create: (body: { name?: string; template?: TemplateName | null }) => request<Project>('POST', '/api/projects', body),
  rename: (id: string, name: string) => request<Project>('PATCH', projectUrl(id), { name }),
  duplicate: (id: string, name?: string) =>
    request<Project>('POST', `${projectUrl(id)}/duplicate`, name ? { name } : {}),
  importZip: (zip: File, name?: string) => {
    const form = new FormData()
    form.append('zip', zip, zip.name)
    if (name) form.append('name', name)
    return requestForm<ImportedProject>('POST', '/api/projects/import', form)
  },
  /** A folder: every file with its path inside the folder as its filename. */
  importFiles: (entries: readonly UploadEntry[], name?: string) => {
    const form = new FormData()
    for (const entry of entries) form.append('files', entry.file, entry.path)
    if (name) form.append('name', name)
    return requestForm<ImportedProject>('POST', '/api/projects/import', form)
  },
}
