/**
 * Editor tabs: the files open in the editor, in the order they were opened. Pure: the
 * workspace reducer keeps the list; closing a tab never loses an edit (buffers live in the
 * workspace state, not in the tab).
 */

/** `path` moved from `from` to `to` (a file, or anything under a folder `from`), or null if unaffected. */
export function movedPath(path: string, from: string, to: string): string | null {
  if (path === from) return to
  if (path.startsWith(`${from}/`)) return `${to}${path.slice(from.length)}`
  return null
}

/** True for `path` itself and for everything under a folder `path`. */
export function isUnder(path: string, folder: string): boolean {
  return path === folder || path.startsWith(`${folder}/`)
}

export function openTab(tabs: readonly string[], path: string): string[] {
  return tabs.includes(path) ? [...tabs] : [...tabs, path]
}

/**
 * Closes one tab. When it was the active one, its right neighbour becomes active (or the
 * left one for the last tab); null when no tab is left.
 */
export function closeTab(
  tabs: readonly string[],
  active: string | null,
  path: string,
): { tabs: string[]; active: string | null } {
  const index = tabs.indexOf(path)
  if (index < 0) return { tabs: [...tabs], active }
  const rest = tabs.filter((t) => t !== path)
  if (active !== path) return { tabs: rest, active }
  const next = rest[index] ?? rest[index - 1] ?? null
  return { tabs: rest, active: next }
}

/** The tabs after a file or folder moved: each keeps its place under its new path. */
export function renameInTabs(tabs: readonly string[], from: string, to: string): string[] {
  const result: string[] = []
  for (const tab of tabs) {
    const next = movedPath(tab, from, to) ?? tab
    if (!result.includes(next)) result.push(next)
  }
  return result
}

/** The tabs without `path` and, for a folder, without anything under it. */
export function removeFromTabs(tabs: readonly string[], path: string): string[] {
  return tabs.filter((tab) => !isUnder(tab, path))
}

/** Only the tabs whose file still exists. */
export function keepExisting(tabs: readonly string[], exists: (path: string) => boolean): string[] {
  return tabs.filter(exists)
}
