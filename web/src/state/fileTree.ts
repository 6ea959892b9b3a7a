/**
 * The file explorer's pure logic: the tree built from flat paths (plus empty folders made in
 * the page), where new files go, and the checks of a typed path before it is sent.
 */

export interface TreeNode {
  name: string
  /** Full path: a file's path, or a folder's path without a trailing slash. */
  path: string
  children: TreeNode[] | null
}

/**
 * Builds a tree from flat paths: folders first, then files, each by name. `folders` adds
 * folders that hold no file yet (a folder exists on the server only through its files).
 */
export function buildTree(paths: readonly string[], folders: readonly string[] = []): TreeNode[] {
  const root: TreeNode = { name: '', path: '', children: [] }
  const add = (path: string, isFolder: boolean) => {
    const parts = path.split('/').filter(Boolean)
    let node = root
    parts.forEach((part, index) => {
      const isFile = !isFolder && index === parts.length - 1
      const childPath = parts.slice(0, index + 1).join('/')
      const children = node.children as TreeNode[]
      let child = children.find((c) => c.name === part && (c.children === null) === isFile)
      if (!child) {
        child = { name: part, path: childPath, children: isFile ? null : [] }
        children.push(child)
      }
      node = child
    })
  }
  for (const path of paths) add(path, false)
  for (const folder of folders) add(folder, true)
  const sort = (nodes: TreeNode[]) => {
    nodes.sort((a, b) => {
      if ((a.children === null) !== (b.children === null)) return a.children === null ? 1 : -1
      return a.name.localeCompare(b.name)
    })
    for (const n of nodes) if (n.children) sort(n.children)
  }
  sort(root.children as TreeNode[])
  return root.children as TreeNode[]
}

/** "src/components/List.tsx" → "src/components"; a top-level file → "". */
export function parentFolder(path: string): string {
  const slash = path.lastIndexOf('/')
  return slash < 0 ? '' : path.slice(0, slash)
}

/** The last segment of a path. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}

/** What the "new file" input starts with: the folder, with a slash, ready for a name. */
export function pathPrefix(folder: string): string {
  return folder ? `${folder}/` : ''
}

/** Every folder that holds at least one of `paths` (at any depth). */
export function foldersOf(paths: readonly string[]): Set<string> {
  const folders = new Set<string>()
  for (const path of paths) {
    let folder = parentFolder(path)
    while (folder && !folders.has(folder)) {
      folders.add(folder)
      folder = parentFolder(folder)
    }
  }
  return folders
}

/** A typed path cleaned up: slashes normalised, surrounding spaces and slashes removed. */
export function cleanPath(input: string): string {
  return input
    .trim()
    .replace(/\\/g, '/')
    .split('/')
    .map((part) => part.trim())
    .filter((part) => part !== '' && part !== '.')
    .join('/')
}

/**
 * Why a typed path cannot be created (or a rename target used), or null when it can.
 * The server checks paths again; this catches what the page already knows.
 */
export function newPathProblem(
  path: string,
  files: readonly string[],
  folders: ReadonlySet<string>,
  options: { from?: string } = {},
): string | null {
  if (!path) return 'Type a name.'
  if (path.split('/').some((part) => part === '..')) return 'A path cannot go up with "..".'
  if (options.from !== undefined && path === options.from) return null
  if (options.from !== undefined && path.startsWith(`${options.from}/`)) return 'A folder cannot move into itself.'
  if (files.includes(path)) return `${path} already exists.`
  if (folders.has(path)) return `A folder ${path} already exists.`
  const parentIsFile = files.find((file) => path.startsWith(`${file}/`))
  if (parentIsFile) return `${parentIsFile} is a file, not a folder.`
  return null
}

/** True for `folder` itself and anything under it. */
export function isUnderFolder(path: string, folder: string): boolean {
  return path === folder || path.startsWith(`${folder}/`)
}
