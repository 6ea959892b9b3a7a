import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react'

import { buildTree, type TreeNode } from '../state/fileTree'
import { ChevronIcon, LockIcon, PencilIcon, TrashIcon, UnlockIcon } from './icons'

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
  /** Folders made in the page that hold no file yet. */
  extraFolders: readonly string[]
  openPath: string | null
  dirty: Record<string, true>
  streamingPath: string | null
  /** Files the model may not change. */
  locked: ReadonlySet<string>
  /** Where new and uploaded files go ('' for the top). */
  selectedFolder: string
  /** The file or folder being renamed (its row is an input). */
  renaming: string | null
  onOpen: (path: string) => void
  onSelectFolder: (folder: string) => void
  onToggleLock: (path: string) => void
  onStartRename: (path: string) => void
  onRename: (from: string, to: string) => void
  onCancelRename: () => void
  onDelete: (path: string, isFolder: boolean) => void
}

/** The project's files as a tree: open, lock, rename and delete each, fold folders. */
export function FileTree(props: Props) {
  const { paths, extraFolders, openPath, dirty, streamingPath, locked, selectedFolder, renaming } = props
  const tree = useMemo(() => buildTree(paths, extraFolders), [paths, extraFolders])
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

  const rowActions = (node: TreeNode, isFolder: boolean) => (
    <span className="row-actions">
      <button
        type="button"
        className="row-action"
        data-testid={`rename-${node.path}`}
        aria-label={`Rename ${node.path}`}
        title="Rename or move"
        onClick={() => props.onStartRename(node.path)}
      >
        <PencilIcon size={12} />
      </button>
      <button
        type="button"
        className="row-action danger"
        data-testid={`delete-${node.path}`}
        aria-label={`Delete ${node.path}`}
        title={isFolder ? 'Delete the folder and everything in it' : 'Delete'}
        onClick={() => props.onDelete(node.path, isFolder)}
      >
        <TrashIcon size={12} />
      </button>
    </span>
  )

  const renderNodes = (nodes: TreeNode[], depth: number) =>
    nodes.map((node) => {
      const indent = { paddingLeft: 10 + depth * 12 }
      if (renaming === node.path) {
        return (
          <li key={`r:${node.path}`}>
            <RenameInput
              path={node.path}
              indent={indent.paddingLeft}
              onDone={(to) => props.onRename(node.path, to)}
              onCancel={props.onCancelRename}
            />
          </li>
        )
      }
      if (node.children) {
        const open = !collapsed.has(node.path)
        const classes = ['tree-row', 'folder']
        if (node.path === selectedFolder) classes.push('selected')
        return (
          <li key={`d:${node.path}`} className="tree-item">
            <button
              type="button"
              className={classes.join(' ')}
              style={indent}
              aria-expanded={open}
              data-testid="folder-item"
              data-path={node.path}
              onClick={() => {
                toggle(node.path)
                props.onSelectFolder(node.path)
              }}
            >
              <ChevronIcon size={12} className={`chevron${open ? ' open' : ''}`} />
              <span className="tree-name">{node.name}</span>
            </button>
            {rowActions(node, true)}
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
        <li key={`f:${node.path}`} className={`tree-item tree-file${isLocked ? ' locked' : ''}`}>
          <button
            type="button"
            className={classes.join(' ')}
            style={indent}
            title={node.path}
            data-testid="file-item"
            data-path={node.path}
            data-dirty={isDirty ? 'true' : 'false'}
            aria-current={node.path === openPath ? 'true' : undefined}
            onClick={() => props.onOpen(node.path)}
          >
            <span className="file-dot-type" style={{ background: extColor(node.name) }} />
            <span className="tree-name">{node.name}</span>
            {node.path === streamingPath && <span className="spinner small" aria-label="being written" />}
            {isDirty && <span className="dirty-dot" title="Edited, not saved yet" aria-label="unsaved" />}
          </button>
          {rowActions(node, false)}
          <button
            type="button"
            className="lock-toggle"
            data-testid={`lock-${node.path}`}
            aria-pressed={isLocked}
            aria-label={isLocked ? `Unlock ${node.path}` : `Lock ${node.path}`}
            title={isLocked ? 'Locked: the model will not change this file. Click to unlock.' : 'Lock: keep the model from changing this file'}
            onClick={() => props.onToggleLock(node.path)}
          >
            {isLocked ? <LockIcon size={12} /> : <UnlockIcon size={12} />}
          </button>
        </li>
      )
    })

  if (paths.length === 0 && extraFolders.length === 0) return <p className="muted tree-empty">No files yet</p>
  return <ul>{renderNodes(tree, 0)}</ul>
}

/** The inline input of a rename: the whole path, so a file can also move to another folder. */
function RenameInput({
  path,
  indent,
  onDone,
  onCancel,
}: {
  path: string
  indent: number
  onDone: (to: string) => void
  onCancel: () => void
}) {
  const [value, setValue] = useState(path)
  const ref = useRef<HTMLInputElement>(null)
  useEffect(() => {
    const input = ref.current
    if (!input) return
    input.focus()
    // The name is selected, not its folder: the common case is a new name in place.
    const start = path.lastIndexOf('/') + 1
    const dot = path.lastIndexOf('.')
    input.setSelectionRange(start, dot > start ? dot : path.length)
  }, [path])
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Enter') {
      event.preventDefault()
      onDone(value)
    } else if (event.key === 'Escape') {
      event.preventDefault()
      onCancel()
    }
  }
  return (
    <div className="tree-input-row" style={{ paddingLeft: indent }}>
      <input
        ref={ref}
        className="tree-input"
        data-testid="rename-input"
        aria-label={`New path for ${path}`}
        value={value}
        spellCheck={false}
        onChange={(event) => setValue(event.target.value)}
        onKeyDown={onKeyDown}
        onBlur={onCancel}
      />
    </div>
  )
}
