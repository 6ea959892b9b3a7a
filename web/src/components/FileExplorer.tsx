import { useEffect, useMemo, useRef, useState, type ChangeEvent, type KeyboardEvent } from 'react'

import { errorMessage } from '../api/client'
import type { UploadResult } from '../api/files'
import { cleanPath, foldersOf, isUnderFolder, newPathProblem, parentFolder, pathPrefix } from '../state/fileTree'
import { mergeSkipped, summariseSkipped, uploadEntries, uploadLimitProblem, type UploadEntry } from '../state/uploads'
import { ConfirmDialog } from './ConfirmDialog'
import { FileTree } from './FileTree'
import { CloseIcon, FilePlusIcon, FolderIcon, FolderPlusIcon, UploadIcon } from './icons'

export interface ExplorerOps {
  createFile: (path: string) => Promise<void>
  rename: (from: string, to: string) => Promise<void>
  remove: (path: string) => Promise<void>
  upload: (folder: string, entries: readonly UploadEntry[]) => Promise<UploadResult>
}

interface Props {
  paths: readonly string[]
  openPath: string | null
  dirty: Record<string, true>
  streamingPath: string | null
  locked: ReadonlySet<string>
  ops: ExplorerOps
  onOpen: (path: string) => void
  onToggleLock: (path: string) => void
}

type Creating = { kind: 'file' | 'folder'; initial: string }
type Deleting = { path: string; isFolder: boolean }

/**
 * The file explorer: the tree, plus new file / new folder (an inline input), rename (inline),
 * delete (after a confirmation) and upload of files or a whole folder into the selected
 * folder. What the server refuses is shown above the tree.
 */
export function FileExplorer({ paths, openPath, dirty, streamingPath, locked, ops, onOpen, onToggleLock }: Props) {
  const [selectedFolder, setSelectedFolder] = useState('')
  const [extraFolders, setExtraFolders] = useState<string[]>([])
  const [creating, setCreating] = useState<Creating | null>(null)
  const [renaming, setRenaming] = useState<string | null>(null)
  const [deleting, setDeleting] = useState<Deleting | null>(null)
  const [deleteBusy, setDeleteBusy] = useState(false)
  const [deleteError, setDeleteError] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [uploadNote, setUploadNote] = useState<{ text: string; skipped: string[] } | null>(null)
  const [busy, setBusy] = useState(false)

  const realFolders = useMemo(() => foldersOf(paths), [paths])
  // An empty folder made here becomes a real one once it holds a file; it is then dropped.
  const emptyFolders = useMemo(() => extraFolders.filter((f) => !realFolders.has(f)), [extraFolders, realFolders])
  // Every folder shown: an empty one and its parents count too.
  const allFolders = useMemo(
    () => new Set([...realFolders, ...foldersOf(emptyFolders.map((folder) => `${folder}/-`))]),
    [realFolders, emptyFolders],
  )

  // The target folder follows the open file until the user picks a folder.
  useEffect(() => {
    if (openPath) setSelectedFolder(parentFolder(openPath))
  }, [openPath])

  const run = async (task: () => Promise<void>) => {
    setBusy(true)
    setError(null)
    try {
      await task()
    } catch (e) {
      setError(errorMessage(e))
    } finally {
      setBusy(false)
    }
  }

  const create = (input: string) => {
    const kind = creating?.kind ?? 'file'
    const path = cleanPath(input)
    const problem = newPathProblem(path, paths, allFolders)
    if (problem) {
      setError(problem)
      return
    }
    setCreating(null)
    if (kind === 'folder') {
      setExtraFolders((list) => [...list, path])
      setSelectedFolder(path)
      setError(null)
      return
    }
    void run(() => ops.createFile(path))
  }

  const rename = (from: string, input: string) => {
    setRenaming(null)
    const to = cleanPath(input)
    if (to === from) return
    const problem = newPathProblem(to, paths, allFolders, { from })
    if (problem) {
      setError(problem)
      return
    }
    const holdsFiles = paths.some((p) => isUnderFolder(p, from))
    if (!holdsFiles) {
      // An empty folder made here: only the page knows it.
      setExtraFolders((list) => list.map((f) => (isUnderFolder(f, from) ? `${to}${f.slice(from.length)}` : f)))
      return
    }
    void run(async () => {
      await ops.rename(from, to)
      setExtraFolders((list) => list.map((f) => (isUnderFolder(f, from) ? `${to}${f.slice(from.length)}` : f)))
      if (isUnderFolder(selectedFolder, from)) setSelectedFolder(`${to}${selectedFolder.slice(from.length)}`)
    })
  }

  const confirmDelete = async () => {
    if (!deleting) return
    const { path } = deleting
    const holdsFiles = paths.some((p) => isUnderFolder(p, path))
    setDeleteBusy(true)
    setDeleteError(null)
    try {
      if (holdsFiles) await ops.remove(path)
      setExtraFolders((list) => list.filter((f) => !isUnderFolder(f, path)))
      if (isUnderFolder(selectedFolder, path)) setSelectedFolder(parentFolder(path))
      setDeleting(null)
    } catch (e) {
      setDeleteError(errorMessage(e))
    } finally {
      setDeleteBusy(false)
    }
  }

  const upload = (event: ChangeEvent<HTMLInputElement>) => {
    const input = event.currentTarget
    const chosen = Array.from(input.files ?? [])
    input.value = '' // the same files can be chosen again
    if (chosen.length === 0) return
    const { entries, skipped } = uploadEntries(chosen)
    const problem = uploadLimitProblem(entries)
    if (problem) {
      setError(problem)
      return
    }
    const folder = selectedFolder
    void run(async () => {
      setUploadNote(null)
      const result = await ops.upload(folder, entries)
      const all = mergeSkipped(skipped, result.skipped)
      const count = result.files.length
      setUploadNote({
        text: `Uploaded ${count} ${count === 1 ? 'file' : 'files'}${folder ? ` into ${folder}/` : ''}${all.length ? `; ${all.length} skipped:` : '.'}`,
        skipped: summariseSkipped(all),
      })
    })
  }

  const deletingLabel = deleting ? (deleting.isFolder ? `the folder ${deleting.path}/ and everything in it` : deleting.path) : ''
  return (
    <nav className="file-tree" data-testid="file-tree" aria-label="Files">
      <div className="panel-header compact">
        <span className="panel-title">Files</span>
        <div className="explorer-actions">
          <button
            type="button"
            className="icon-button small"
            data-testid="new-file"
            title={`New file${selectedFolder ? ` in ${selectedFolder}/` : ''}`}
            aria-label="New file"
            onClick={() => {
              setError(null)
              setCreating({ kind: 'file', initial: pathPrefix(selectedFolder) })
            }}
          >
            <FilePlusIcon size={14} />
          </button>
          <button
            type="button"
            className="icon-button small"
            data-testid="new-folder"
            title={`New folder${selectedFolder ? ` in ${selectedFolder}/` : ''}`}
            aria-label="New folder"
            onClick={() => {
              setError(null)
              setCreating({ kind: 'folder', initial: pathPrefix(selectedFolder) })
            }}
          >
            <FolderPlusIcon size={14} />
          </button>
          <label className="icon-button small" title={`Upload files${selectedFolder ? ` into ${selectedFolder}/` : ''}`}>
            <UploadIcon size={14} />
            <input type="file" multiple className="visually-hidden" data-testid="upload-files" aria-label="Upload files" onChange={upload} />
          </label>
          <label className="icon-button small folder-upload" title={`Upload a folder${selectedFolder ? ` into ${selectedFolder}/` : ''}`}>
            <FolderIcon size={14} />
            <span className="upload-badge" aria-hidden="true">
              ↑
            </span>
            <input
              type="file"
              multiple
              className="visually-hidden"
              data-testid="upload-folder"
              aria-label="Upload a folder"
              onChange={upload}
              {...{ webkitdirectory: '', directory: '' }}
            />
          </label>
        </div>
      </div>
      {busy && <div className="explorer-busy" aria-live="polite">Working…</div>}
      {error && (
        <div className="explorer-error" data-testid="explorer-error" role="alert">
          <span>{error}</span>
          <button type="button" className="icon-button tiny" aria-label="Dismiss" onClick={() => setError(null)}>
            <CloseIcon size={11} />
          </button>
        </div>
      )}
      {uploadNote && (
        <div className="explorer-note" data-testid="upload-result">
          <div className="explorer-note-head">
            <span>{uploadNote.text}</span>
            <button type="button" className="icon-button tiny" aria-label="Dismiss" onClick={() => setUploadNote(null)}>
              <CloseIcon size={11} />
            </button>
          </div>
          {uploadNote.skipped.length > 0 && (
            <ul>
              {uploadNote.skipped.map((line) => (
                <li key={line}>{line}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      {creating && (
        <NewPathInput
          kind={creating.kind}
          initial={creating.initial}
          onDone={create}
          onCancel={() => setCreating(null)}
        />
      )}
      <FileTree
        paths={paths}
        extraFolders={emptyFolders}
        openPath={openPath}
        dirty={dirty}
        streamingPath={streamingPath}
        locked={locked}
        selectedFolder={selectedFolder}
        renaming={renaming}
        onOpen={onOpen}
        onSelectFolder={setSelectedFolder}
        onToggleLock={onToggleLock}
        onStartRename={(path) => {
          setError(null)
          setRenaming(path)
        }}
        onRename={rename}
        onCancelRename={() => setRenaming(null)}
        onDelete={(path, isFolder) => {
          setDeleteError(null)
          setDeleting({ path, isFolder })
        }}
      />
      {deleting && (
        <ConfirmDialog
          title={deleting.isFolder ? 'Delete folder' : 'Delete file'}
          confirmLabel="Delete"
          busy={deleteBusy}
          error={deleteError}
          onConfirm={() => void confirmDelete()}
          onCancel={() => setDeleting(null)}
        >
          <p>
            Delete <strong>{deletingLabel}</strong>? The previous version stays in the history.
          </p>
        </ConfirmDialog>
      )}
    </nav>
  )
}

/** The inline input of a new file or folder, starting with the selected folder's path. */
function NewPathInput({
  kind,
  initial,
  onDone,
  onCancel,
}: {
  kind: 'file' | 'folder'
  initial: string
  onDone: (path: string) => void
  onCancel: () => void
}) {
  const [value, setValue] = useState(initial)
  const ref = useRef<HTMLInputElement>(null)
  useEffect(() => {
    const input = ref.current
    if (!input) return
    input.focus()
    input.setSelectionRange(initial.length, initial.length)
  }, [initial])
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
    <div className="tree-input-row new-path">
      <input
        ref={ref}
        className="tree-input"
        data-testid="new-path-input"
        aria-label={kind === 'file' ? 'New file path' : 'New folder path'}
        placeholder={kind === 'file' ? 'src/components/New.tsx' : 'src/components'}
        value={value}
        spellCheck={false}
        onChange={(event) => setValue(event.target.value)}
        onKeyDown={onKeyDown}
        onBlur={() => {
          if (cleanPath(value) === cleanPath(initial)) onCancel()
        }}
      />
    </div>
  )
}
