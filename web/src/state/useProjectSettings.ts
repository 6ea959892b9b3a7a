/**
 * The project's own settings: model overrides and locked files. Locking is optimistic (the
 * tree shows it at once); the saves go out one after another so that a slower answer can
 * never bring back an older list, and a refused save restores the list the server has.
 */

import { useCallback, useEffect, useMemo, useRef, useState } from 'react'

import { errorMessage, isAbort } from '../api/client'
import { settingsApi, type ProjectSettings, type ProjectSettingsUpdate } from '../api/settings'
import { locksAfterMove, withLock } from './locks'

export function useProjectSettings(projectId: string, onError: (message: string) => void) {
  const [settings, setSettings] = useState<ProjectSettings | null>(null)
  const [locked, setLocked] = useState<readonly string[]>([])
  const lockedRef = useRef<readonly string[]>([])
  const saves = useRef<Promise<unknown>>(Promise.resolve())
  const alive = useRef(true)
  const onErrorRef = useRef(onError)
  useEffect(() => {
    onErrorRef.current = onError
  })

  /** Takes the server's settings; its locked list too, unless the user changed it since. */
  const accept = useCallback((next: ProjectSettings, sentLocks: readonly string[] | null) => {
    setSettings(next)
    if (sentLocks !== null && !sameList(sentLocks, lockedRef.current)) return
    const files = Array.isArray(next.locked_files) ? next.locked_files : []
    lockedRef.current = files
    setLocked(files)
  }, [])

  useEffect(() => {
    alive.current = true
    const controller = new AbortController()
    settingsApi.getProject(projectId, controller.signal).then((loaded) => accept(loaded, null), (error: unknown) => {
      if (!isAbort(error)) onErrorRef.current(`Could not load the project's settings: ${errorMessage(error)}`)
    })
    return () => {
      alive.current = false
      controller.abort()
    }
  }, [projectId, accept])

  const toggleLock = useCallback(
    (path: string) => {
      const lock = !lockedRef.current.includes(path)
      const next = withLock(lockedRef.current, path, lock)
      lockedRef.current = next
      setLocked(next)
      const save = saves.current.then(async () => {
        try {
          const sent = [...lockedRef.current]
          const saved = await settingsApi.updateProject(projectId, { locked_files: sent })
          if (alive.current) accept(saved, sent)
        } catch (error) {
          if (!alive.current) return
          // Back to the list as it was before this change.
          const restored = withLock(lockedRef.current, path, !lock)
          lockedRef.current = restored
          setLocked(restored)
          onErrorRef.current(`Could not ${lock ? 'lock' : 'unlock'} ${path}: ${errorMessage(error)}`)
        }
      })
      saves.current = save
    },
    [projectId, accept],
  )

  /**
   * A file or folder was renamed (`to`) or deleted (`to` null) in the explorer: its locks
   * follow it (the server keeps the locked list as paths).
   */
  const moveLocks = useCallback(
    (from: string, to: string | null) => {
      const before = lockedRef.current
      const next = locksAfterMove(before, from, to)
      if (next === before) return
      lockedRef.current = next
      setLocked(next)
      const save = saves.current.then(async () => {
        try {
          const sent = [...lockedRef.current]
          const saved = await settingsApi.updateProject(projectId, { locked_files: sent })
          if (alive.current) accept(saved, sent)
        } catch (error) {
          if (alive.current) onErrorRef.current(`Could not update the locked files: ${errorMessage(error)}`)
        }
      })
      saves.current = save
    },
    [projectId, accept],
  )

  /** Saves model overrides (never the locks); throws an error to show beside the form. */
  const save = useCallback(
    async (update: Omit<ProjectSettingsUpdate, 'locked_files'>): Promise<ProjectSettings> => {
      const saved = await settingsApi.updateProject(projectId, update)
      if (alive.current) setSettings(saved)
      return saved
    },
    [projectId],
  )

  const lockedSet = useMemo(() => new Set(locked), [locked])
  return { settings, locked: lockedSet, toggleLock, moveLocks, save }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i])
}
