/** Locked files: the model may not change them; the user still may, by hand. */

/** The locked list with `path` locked or unlocked (`locked` omitted: the opposite of now). */
export function withLock(locked: readonly string[], path: string, lock: boolean = !locked.includes(path)): string[] {
  const rest = locked.filter((p) => p !== path)
  return lock ? [...rest, path].sort((a, b) => a.localeCompare(b)) : rest
}

/**
 * The locked list after a file or folder moved (`to`) or was deleted (`to` null): a lock
 * follows its file. Returns the same array when no lock is affected.
 */
export function locksAfterMove(locked: readonly string[], from: string, to: string | null): readonly string[] {
  const under = (path: string) => path === from || path.startsWith(`${from}/`)
  if (!locked.some(under)) return locked
  const next = locked.flatMap((path) => (!under(path) ? [path] : to === null ? [] : [`${to}${path.slice(from.length)}`]))
  return [...new Set(next)].sort((a, b) => a.localeCompare(b))
}
