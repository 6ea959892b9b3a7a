/**
 * The project's files beyond reading them: saving one (with the sha it was based on, so a
 * change made elsewhere is never overwritten silently), renaming, deleting and uploading.
 */

import { encodePath, projectUrl, request, requestForm, type FileInfo } from './client'
import type { SkippedFile, UploadEntry } from '../state/uploads'

export interface SavedFile {
  path: string
  size: number
  sha?: string
}

export interface UploadResult {
  files: FileInfo[]
  skipped: SkippedFile[]
}

/** The code of the 409 answer to a save whose `base_sha` is no longer the stored file's. */
export const EDIT_CONFLICT = 'edit_conflict'

export const filesApi = {
  /**
   * Saves one file. With `baseSha`, the server refuses (409 `edit_conflict`) when the stored
   * file changed since; without it (or for a new file), the content is written as it is.
   */
  write: (id: string, path: string, content: string, baseSha?: string | null) =>
    request<SavedFile>(
      'PUT',
      `${projectUrl(id)}/files/${encodePath(path)}`,
      baseSha ? { content, base_sha: baseSha } : { content },
    ),
  /** A file, or a folder with everything under it. */
  rename: (id: string, from: string, to: string) =>
    request<{ files: FileInfo[] }>('POST', `${projectUrl(id)}/files/rename`, { from, to }),
  /** A file, or a folder with everything under it. */
  remove: (id: string, path: string) => request<void>('DELETE', `${projectUrl(id)}/files/${encodePath(path)}`),
  /** Files into `folder` ('' for the top); each entry's path is relative to that folder. */
  upload: (id: string, folder: string, entries: readonly UploadEntry[]) => {
    const form = new FormData()
    for (const entry of entries) form.append('files', entry.file, entry.path)
    if (folder) form.append('folder', folder)
    return requestForm<UploadResult>('POST', `${projectUrl(id)}/files/upload`, form)
  },
}
