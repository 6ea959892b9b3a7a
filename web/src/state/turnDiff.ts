/**
 * "Changes in this turn": the files a run changed so far, each with its content at the
 * run's start (before) and as it streams (after). Pure; the workspace reducer records the
 * start and the touched paths, the diff view reads `turnDiffFiles`.
 */

import type { FileChange } from '../api/history'

export interface TurnChanges {
  /** Every file that existed when the run started. */
  existed: Record<string, true>
  /** Contents at the start, where known (loaded then, or fetched since); null: unreadable. */
  before: Record<string, string | null>
  /** Paths the run touched, in the order it first touched them. */
  changed: string[]
}

export interface TurnDiffFile {
  path: string
  change: FileChange
  /**
   * Null: the file did not exist (or its start content could not be read); undefined: its
   * start content is still loading.
   */
  before: string | null | undefined
  /** Null: the file no longer exists. */
  after: string | null
}

/** The record of a run about to start, from the files as they are now. */
export function startTurn(files: Record<string, { content: string | null }>): TurnChanges {
  const existed: Record<string, true> = {}
  const before: Record<string, string | null> = {}
  for (const [path, entry] of Object.entries(files)) {
    existed[path] = true
    if (entry.content !== null) before[path] = entry.content
  }
  return { existed, before, changed: [] }
}

export function touch(turn: TurnChanges, path: string): TurnChanges {
  return turn.changed.includes(path) ? turn : { ...turn, changed: [...turn.changed, path] }
}

/** A start content fetched after the run began (the file had not been loaded). */
export function withBefore(turn: TurnChanges, path: string, content: string | null): TurnChanges {
  if (!turn.existed[path] || path in turn.before) return turn
  return { ...turn, before: { ...turn.before, [path]: content } }
}

/** A file whose start content is needed and not known yet. */
export function needsBefore(turn: TurnChanges, path: string): boolean {
  return Boolean(turn.existed[path]) && !(path in turn.before)
}

/**
 * The diff of each touched file, now. A file written back to what it was is left out
 * (nothing changed), as is one created and deleted within the turn.
 */
export function turnDiffFiles(turn: TurnChanges, files: Record<string, { content: string | null }>): TurnDiffFile[] {
  const result: TurnDiffFile[] = []
  for (const path of turn.changed) {
    const existed = Boolean(turn.existed[path])
    const entry = files[path]
    const after = entry ? (entry.content ?? '') : null
    if (!existed && after === null) continue
    const before = existed ? turn.before[path] : null
    if (existed && after === null) {
      result.push({ path, change: 'deleted', before, after })
      continue
    }
    if (!existed) {
      result.push({ path, change: 'added', before: null, after })
      continue
    }
    if (before !== undefined && before === after) continue
    result.push({ path, change: 'modified', before, after })
  }
  return result
}
