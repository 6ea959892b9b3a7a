import { useEffect, useMemo, useState } from 'react'

import { ChevronIcon, LockIcon, UnlockIcon } from './icons'

export interface TreeNode {
  name: string
  /** Full path: a file's path, or a folder's path without a trailing slash. */
  path: string
  children: TreeNode[] | null
}

/** Builds a tree from flat paths: folders first, then files, each by name. */
export function buildTree(paths: readonly string[]): TreeNode[] {
  const root: TreeNode = { name: '', path: '', children: [] }
  for (const path of paths) {
    const parts = path.split('/').filter(Boolean)
    let node = root
    parts.forEach((part, index) => {
      const isFile = index === parts.length - 1
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

const EXT_COLORS: Record<string, string> = {
  ts: '#3178c6',
  tsx: '#3178c6',
  js: '#d4a017',
  jsx: '#d4a017',
  css: '#a855f7',
  html: '#e44d26',
  json: '#6b7280',
  md: '#0ea5e9',
  py: '#3f7cac',
}

function extColor(name: string): string {
  const ext = name.slice(name.lastIndexOf('.') + 1).toLowerCase()
  return EXT_COLORS[ext] ?? '#9ca3af'
}

interface Props {
  paths: readonly string[]
  openPath: string | null
  dirty: Record<string, true>
  streamingPath: string | null
  /** Files the model may not change. */
  locked: ReadonlySet<string>
  onOpen: (path: string) => void
  onToggleLock: (path: string) => void
}

export function FileTree({ paths, openPath, dirty, streamingPath, locked, onOpen, onToggleLock }: Props) {
  const tree = useMemo(() => buildTree(paths), [paths])
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(() => new Set())

  // The open file's folders are always unfolded (a run opens the file it writes).
  useEffect(() => {
    if (!openPath) return
    setCollapsed((current) => {
      const parts = openPath.split('/')
      const ancestors = parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'))
      if (!ancestors.some((a) => current.has(a))) return current
      const next = new Set(current)
      for (const a of ancestors) next.delete(a)
      return next
    })
  }, [openPath])

  const toggle = (path: string) =>
    setCollapsed((current) => {
      const next = new Set(current)
      if (next.has(path)) next.delete(path)
      else next.add(path)
      return next
    })

  const renderNodes = (nodes: TreeNode[], depth: number) =>
    nodes.map((node) => {
      const indent = { paddingLeft: 10 + depth * 12 }
      if (node.children) {
        const open = !collapsed.has(node.path)
        return (
          <li key={`d:${node.path}`}>
            <button
              type="button"
              className="tree-row folder"
              style={indent}
              aria-expanded={open}
              data-testid="folder-item"
              data-path={node.path}
              onClick={() => toggle(node.path)}
            >
              <ChevronIcon size={12} className={`chevron${open ? ' open' : ''}`} />
              <span className="tree-name">{node.name}</span>
            </button>
            {open && <ul>{renderNodes(node.children, depth + 1)}</ul>}
          </li>
        )
      }
      const isDirty = node.path in dirty
      const isLocked = locked.has(node.path)
      const classes = ['tree-row', 'file']
      if (node.path === openPath) classes.push('active')
      if (node.path === streamingPath) classes.push('streaming')
      if (isLocked) classes.push('locked')
      return (
        <li key={`f:${node.path}`} className={`tree-file${isLocked ? ' locked' : ''}`}>
          <button
            type="button"
            className={classes.join(' ')}
            style={indent}
            title={node.path}
            data-testid="file-item"
            data-path={node.path}
            data-dirty={isDirty ? 'true' : 'false'}
            aria-current={node.path === openPath ? 'true' : undefined}
            onClick={() => onOpen(node.path)}
          >
            <span className="file-dot-type" style={{ background: extColor(node.name) }} />
            <span className="tree-name">{node.name}</span>
            {node.path === streamingPath && <span className="spinner small" aria-label="being written" />}
            {isDirty && <span className="dirty-dot" title="Edited, not deployed yet" aria-label="unsaved" />}
          </button>
          <button
            type="button"
            className="lock-toggle"
            data-testid={`lock-${node.path}`}
            aria-pressed={isLocked}
            aria-label={isLocked ? `Unlock ${node.path}` : `Lock ${node.path}`}
            title={isLocked ? 'Locked: the model will not change this file. Click to unlock.' : 'Lock: keep the model from changing this file'}
            onClick={() => onToggleLock(node.path)}
          >
            {isLocked ? <LockIcon size={12} /> : <UnlockIcon size={12} />}
          </button>
        </li>
      )
    })

  return (
    <nav className="file-tree" data-testid="file-tree" aria-label="Files">
      <div className="panel-header compact">
        <span className="panel-title">Files</span>
      </div>
      {paths.length === 0 ? <p className="muted tree-empty">No files yet</p> : <ul>{renderNodes(tree, 0)}</ul>}
    </nav>
  )
}
