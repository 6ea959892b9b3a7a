/** Locked files: the model may not change them; the user still may, by hand. */

/** The locked list with `path` locked or unlocked (`locked` omitted: the opposite of now). */
export function withLock(locked: readonly string[], path: string, lock: boolean = !locked.includes(path)): string[] {
  const rest = locked.filter((p) => p !== path)
  return lock ? [...rest, path].sort((a, b) => a.localeCompare(b)) : rest
}
