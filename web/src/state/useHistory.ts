/**
 * The history panel's data and actions: the versions (re-read when the project changes
 * while the panel is open), the selection to compare, the comparison itself, restore and
 * "undo last turn". Restoring records a new version on the server, so nothing is lost; the
 * page then reads every file again.
 */

import { useCallback, useEffect, useRef, useState } from 'react'

import { errorMessage, isAbort } from '../api/client'
import { historyApi, type DiffFile, type VersionSummary } from '../api/history'
import { comparePair, newestFirst, refLabel, toggleSelection, type ComparePair, type VersionRef } from './history'

export interface Comparison extends ComparePair {
  title: string
  files: DiffFile[]
}

export type HistoryMessage = { kind: 'success' | 'error'; text: string }

interface Options {
  /** The panel is shown: versions are loaded and kept fresh. */
  open: boolean
  /** Changes whenever the project may have a new version (a run or a deploy ended). */
  changeKey: string
  /** Sends the edits still waiting, so a restore never drops them. */
  flush: () => Promise<boolean>
  /** Reads every file again after the working copy changed on the server. */
  reloadFiles: () => Promise<void>
}

export function useHistory(projectId: string, { open, changeKey, flush, reloadFiles }: Options) {
  const [versions, setVersions] = useState<VersionSummary[] | null>(null)
  const [loadError, setLoadError] = useState<string | null>(null)
  const [selected, setSelected] = useState<VersionRef[]>([])
  const [comparison, setComparison] = useState<Comparison | null>(null)
  const [comparing, setComparing] = useState(false)
  const [busy, setBusy] = useState<string | null>(null)
  const [message, setMessage] = useState<HistoryMessage | null>(null)
  const alive = useRef(true)
  useEffect(() => {
    alive.current = true
    return () => {
      alive.current = false
    }
  }, [])

  const reload = useCallback(
    async (signal?: AbortSignal) => {
      try {
        const list = await historyApi.list(projectId, signal)
        if (!alive.current) return
        setVersions(newestFirst(list))
        setLoadError(null)
      } catch (error) {
        if (!isAbort(error) && alive.current) setLoadError(errorMessage(error))
      }
    },
    [projectId],
  )

  useEffect(() => {
    if (!open) return
    const controller = new AbortController()
    void reload(controller.signal)
    return () => controller.abort()
  }, [open, changeKey, reload])

  // A success message fades after a while; an error stays until the next action.
  useEffect(() => {
    if (message?.kind !== 'success') return
    const timer = window.setTimeout(() => setMessage(null), 8000)
    return () => window.clearTimeout(timer)
  }, [message])

  const toggle = useCallback((ref: VersionRef) => setSelected((current) => toggleSelection(current, ref)), [])

  const pair = versions ? comparePair(selected, versions) : null

  const compare = useCallback(async () => {
    if (!versions || !pair) return
    setComparing(true)
    setLoadError(null)
    try {
      const { files } = await historyApi.diff(projectId, pair.from, pair.to)
      if (!alive.current) return
      const title = `${refLabel(pair.from, versions)} → ${refLabel(pair.to, versions)}`
      setComparison({ ...pair, title, files })
    } catch (error) {
      if (alive.current) setLoadError(`Could not compare: ${errorMessage(error)}`)
    } finally {
      if (alive.current) setComparing(false)
    }
  }, [projectId, versions, pair])

  /** Runs a restore or an undo: the edits waiting first, then the files read again. */
  const change = useCallback(
    async (label: string, request: () => Promise<{ version: VersionSummary }>, success: (v: VersionSummary) => string) => {
      setBusy(label)
      setMessage(null)
      try {
        await flush()
        const { version } = await request()
        if (!alive.current) return
        setMessage({ kind: 'success', text: success(version) })
        setComparison(null)
        setSelected([])
        await Promise.all([reload(), reloadFiles().catch(() => undefined)])
      } catch (error) {
        if (alive.current) setMessage({ kind: 'error', text: errorMessage(error) })
      } finally {
        if (alive.current) setBusy(null)
      }
    },
    [flush, reload, reloadFiles],
  )

  const restore = useCallback(
    (version: VersionSummary) =>
      change(
        `restore-${version.id}`,
        () => historyApi.restore(projectId, String(version.id)),
        (created) => `Restored version ${version.number} (saved as version ${created.number}).`,
      ),
    [projectId, change],
  )

  const undo = useCallback(
    () =>
      change(
        'undo',
        () => historyApi.undo(projectId),
        (created) => created.message || `Undid the last turn (saved as version ${created.number}).`,
      ),
    [projectId, change],
  )

  return {
    versions,
    loadError,
    selected,
    toggle,
    canCompare: pair !== null,
    compare,
    comparing,
    comparison,
    closeComparison: useCallback(() => setComparison(null), []),
    restore,
    undo,
    busy,
    message,
    dismissMessage: useCallback(() => setMessage(null), []),
  }
}
