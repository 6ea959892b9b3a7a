import { baseName } from '../state/fileTree'
import { CloseIcon, LockIcon } from './icons'

interface Props {
  tabs: readonly string[]
  active: string | null
  dirty: Record<string, true>
  locked: ReadonlySet<string>
  onSelect: (path: string) => void
  onClose: (path: string) => void
}

/**
 * The files open in the editor. An edited file not saved yet has a dot (its close button
 * shows on hover); closing a tab keeps its edits (they are still saved as usual). A
 * middle click closes a tab.
 */
export function EditorTabs({ tabs, active, dirty, locked, onSelect, onClose }: Props) {
  const names = tabs.map(baseName)
  return (
    <div className="editor-tabs" role="tablist" aria-label="Open files">
      {tabs.map((path, index) => {
        const isDirty = path in dirty
        // Two tabs of the same name show their folder too.
        const ambiguous = names.filter((n) => n === names[index]).length > 1
        return (
          <div
            key={path}
            className={`editor-tab${path === active ? ' active' : ''}${isDirty ? ' dirty' : ''}`}
            data-testid="editor-tab"
            data-path={path}
            data-dirty={isDirty ? 'true' : 'false'}
            title={path}
            onAuxClick={(event) => {
              if (event.button === 1) onClose(path)
            }}
          >
            <button
              type="button"
              role="tab"
              aria-selected={path === active}
              className="editor-tab-name"
              onClick={() => onSelect(path)}
            >
              {locked.has(path) && <LockIcon size={11} className="tab-lock" />}
              <span>{names[index]}</span>
              {ambiguous && <span className="editor-tab-folder">{path.slice(0, path.lastIndexOf('/')) || '/'}</span>}
            </button>
            {isDirty && <span className="dirty-dot" title="Edited, not saved yet" aria-label="unsaved" />}
            <button
              type="button"
              className="editor-tab-close"
              data-testid="editor-tab-close"
              aria-label={`Close ${path}`}
              title="Close"
              onClick={() => onClose(path)}
            >
              <CloseIcon size={11} />
            </button>
          </div>
        )
      })}
    </div>
  )
}
