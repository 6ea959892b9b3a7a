/**
 * The explorer's changes to the project's files: create, rename, delete, upload. Each one
 * first sends the edits still waiting (so the server renames or deletes what the user
 * sees), then updates the page at once and re-reads the file list from the server.
 * Every function throws an error whose message is meant for the user.
 */

import { useCallback } from 'react'

import { errorMessage } from '../api/client'
import { filesApi, type UploadResult } from '../api/files'
import type { UploadEntry } from './uploads'
import type { Action, WorkspaceState } from './workspace'

export interface FileOpsHost {
  state: WorkspaceState
  dispatch: (action: Action) => void
  deployNow: () => Promise<boolean>
  refresh: (reload?: boolean | readonly string[]) => Promise<void>
  /** Locks follow a renamed file and go with a deleted one. */
  moveLocks: (from: string, to: string | null) => void
}

export function useFileOps(projectId: string, host: FileOpsHost) {
  const { dispatch, deployNow, refresh, moveLocks } = host

  /** Re-reads the list; a failure to do so is not the operation's failure. */
  const settle = useCallback(() => refresh().catch(() => undefined), [refresh])

  const createFile = useCallback(
    async (path: string): Promise<void> => {
      await filesApi.write(projectId, path, '')
      dispatch({ type: 'fileCreated', path, content: '' })
      await settle()
    },
    [projectId, dispatch, settle],
  )

  const rename = useCallback(
    async (from: string, to: string): Promise<void> => {
      if (!(await deployNow())) throw new Error('Your edits could not be saved first; nothing was renamed.')
      await filesApi.rename(projectId, from, to)
      dispatch({ type: 'pathRenamed', from, to })
      moveLocks(from, to)
      await settle()
    },
    [projectId, dispatch, deployNow, settle, moveLocks],
  )

  const remove = useCallback(
    async (path: string): Promise<void> => {
      if (!(await deployNow())) throw new Error('Your edits could not be saved first; nothing was deleted.')
      await filesApi.remove(projectId, path)
      dispatch({ type: 'pathRemoved', path })
      moveLocks(path, null)
      await settle()
    },
    [projectId, dispatch, deployNow, settle, moveLocks],
  )

  const upload = useCallback(
    async (folder: string, entries: readonly UploadEntry[]): Promise<UploadResult> => {
      const result = await filesApi.upload(projectId, folder, entries)
      // Uploaded files may replace open ones: their buffers are read again.
      try {
        await refresh(result.files.map((f) => f.path))
      } catch (error) {
        throw new Error(`Uploaded, but the file list could not be read again: ${errorMessage(error)}`)
      }
      return result
    },
    [projectId, refresh],
  )

  return { createFile, rename, remove, upload }
}
