/**
 * Versions of a project (`/api/projects/{id}/versions`), their diffs, restore and undo.
 * Every assistant turn and every batch of hand edits is a version; restoring one records a
 * new version, so nothing is ever lost.
 */

import { encodePath, projectUrl, request } from './client'

export type FileChange = 'added' | 'modified' | 'deleted'

export interface ChangedFile {
  path: string
  change: FileChange | (string & {})
}

export interface VersionSummary {
  id: number | string
  number: number
  message: string
  kind: 'assistant' | 'edit' | 'restore' | (string & {})
  created_at: string
  file_count?: number
  changed?: ChangedFile[]
}

export interface DiffFile {
  path: string
  change: FileChange | (string & {})
  /** Null: the file did not exist before. */
  before: string | null
  /** Null: the file does not exist after. */
  after: string | null
}

/** `to` may be a version id or "current" (the working copy). */
export const historyApi = {
  list: (id: string, signal?: AbortSignal) =>
    request<VersionSummary[]>('GET', `${projectUrl(id)}/versions`, undefined, { signal }),
  files: (id: string, versionId: string, signal?: AbortSignal) =>
    request<{ files: Record<string, string> }>(
      'GET',
      `${projectUrl(id)}/versions/${encodeURIComponent(versionId)}/files`,
      undefined,
      { signal },
    ),
  file: (id: string, versionId: string, path: string, signal?: AbortSignal) =>
    request<{ path: string; content: string }>(
      'GET',
      `${projectUrl(id)}/versions/${encodeURIComponent(versionId)}/files/${encodePath(path)}`,
      undefined,
      { signal },
    ),
  diff: (id: string, from: string, to: string, signal?: AbortSignal) => {
    const query = new URLSearchParams({ from, to })
    return request<{ files: DiffFile[] }>('GET', `${projectUrl(id)}/diff?${query.toString()}`, undefined, { signal })
  },
  restore: (id: string, versionId: string) =>
    request<{ version: VersionSummary }>('POST', `${projectUrl(id)}/versions/${encodeURIComponent(versionId)}/restore`),
  undo: (id: string) => request<{ version: VersionSummary }>('POST', `${projectUrl(id)}/undo`),
}
