/**
 * Files chosen in the browser (a zip, a folder, some files) → the list sent to the server.
 * Pure. A folder's files keep their path inside it (`webkitRelativePath`) as their name;
 * what the server would skip anyway (installed packages, build output, OS junk) is left out
 * here already, so a project folder with a `node_modules` is not uploaded for nothing.
 */

/** What the browser gives for one chosen file (a `File`, in practice). */
export interface ChosenFile {
  name: string
  size: number
  /** Set for a folder's files: the path from the chosen folder, its name included. */
  webkitRelativePath?: string
}

export interface UploadEntry<F = Blob> {
  file: F
  /** The relative path sent as the file's name. */
  path: string
}

export interface SkippedFile {
  path: string
  reason: string
}

/** Folders never imported: the server skips them too (contract of `/api/projects/import`). */
export const SKIPPED_FOLDERS = ['node_modules', '.git', '.venv', '__pycache__', 'dist', '__MACOSX'] as const
const JUNK_FILES = new Set(['.DS_Store', 'Thumbs.db', 'desktop.ini'])

/** The server's limits: over them, nothing is sent and the user is told why. */
export const MAX_TOTAL_BYTES = 200 * 1024 * 1024
export const MAX_FILES = 5000

/** A relative path with forward slashes and no leading "./" or "/". */
export function normalizePath(path: string): string {
  return path
    .replace(/\\/g, '/')
    .split('/')
    .filter((part) => part !== '' && part !== '.')
    .join('/')
}

/** Why a file is left out, or null to send it. */
export function skipReason(path: string): string | null {
  const parts = path.split('/')
  const folder = parts.slice(0, -1).find((part) => (SKIPPED_FOLDERS as readonly string[]).includes(part))
  if (folder) return folder === '__MACOSX' ? 'operating system files' : `${folder}/ is not imported`
  if (JUNK_FILES.has(parts[parts.length - 1])) return 'operating system files'
  return null
}

/** The entries to send and the ones left out, from the files the browser gave. */
export function uploadEntries<F extends ChosenFile>(
  files: Iterable<F>,
): { entries: UploadEntry<F>[]; skipped: SkippedFile[] } {
  const entries: UploadEntry<F>[] = []
  const skipped: SkippedFile[] = []
  for (const file of files) {
    const path = normalizePath(file.webkitRelativePath || file.name)
    if (!path) continue
    const reason = skipReason(path)
    if (reason) skipped.push({ path, reason })
    else entries.push({ file, path })
  }
  return { entries, skipped }
}

function megabytes(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MB`
}

/** A message when the entries exceed the server's limits, else null. */
export function uploadLimitProblem(entries: readonly UploadEntry<ChosenFile>[]): string | null {
  if (entries.length === 0) return 'There is no file to upload.'
  if (entries.length > MAX_FILES) {
    return `That is ${entries.length.toLocaleString('en')} files; Tessera takes at most ${MAX_FILES.toLocaleString('en')} at once.`
  }
  const total = entries.reduce((sum, entry) => sum + entry.file.size, 0)
  if (total > MAX_TOTAL_BYTES) {
    return `That is ${megabytes(total)}; Tessera takes at most ${megabytes(MAX_TOTAL_BYTES)} at once (text files only).`
  }
  return null
}

/**
 * Skipped files summarised for the page: merges what was left out here and what the
 * server skipped, each path once, in path order.
 */
export function mergeSkipped(...lists: readonly (readonly SkippedFile[] | undefined)[]): SkippedFile[] {
  const byPath = new Map<string, SkippedFile>()
  for (const list of lists) for (const item of list ?? []) if (!byPath.has(item.path)) byPath.set(item.path, item)
  return [...byPath.values()].sort((a, b) => a.path.localeCompare(b.path))
}

/**
 * Folders summarised: a skipped `node_modules/` of 20,000 files is one line
 * ("node_modules/ — 20,000 files"), not 20,000.
 */
export function summariseSkipped(skipped: readonly SkippedFile[], limit = 20): string[] {
  const folders = new Map<string, number>()
  const lines: string[] = []
  for (const item of skipped) {
    const parts = item.path.split('/')
    const index = parts.findIndex((part) => (SKIPPED_FOLDERS as readonly string[]).includes(part))
    if (index >= 0 && index < parts.length - 1) {
      const folder = `${parts.slice(0, index + 1).join('/')}/`
      folders.set(folder, (folders.get(folder) ?? 0) + 1)
    } else {
      lines.push(`${item.path} — ${item.reason}`)
    }
  }
  const folderLines = [...folders].map(([folder, count]) => `${folder} — ${count.toLocaleString('en')} ${count === 1 ? 'file' : 'files'}`)
  const all = [...folderLines, ...lines]
  if (all.length <= limit) return all
  return [...all.slice(0, limit), `… and ${all.length - limit} more`]
}
