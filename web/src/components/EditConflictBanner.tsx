import type { EditConflict } from '../state/workspace'
import { AlertIcon } from './icons'

interface Props {
  conflict: EditConflict
  onOpen: (path: string) => void
  onReload: () => void
  onOverwrite: () => void
}

/**
 * A save refused because the file changed elsewhere (another tab, or the AI): the user
 * chooses to take the other version (Reload, dropping the edit here) or to keep this one
 * (Overwrite). Until then the edit stays here, not saved.
 */
export function EditConflictBanner({ conflict, onOpen, onReload, onOverwrite }: Props) {
  return (
    <div className="conflict-banner" data-testid="edit-conflict" data-path={conflict.path} role="alert">
      <AlertIcon size={14} />
      <span className="conflict-message">
        {conflict.message}{' '}
        <button type="button" className="link-button inline" onClick={() => onOpen(conflict.path)}>
          Show the file
        </button>
      </span>
      <div className="conflict-actions">
        <button
          type="button"
          className="button small"
          data-testid="conflict-reload"
          title="Take the version saved elsewhere; your edit here is dropped"
          onClick={onReload}
        >
          Reload
        </button>
        <button
          type="button"
          className="button small danger"
          data-testid="conflict-overwrite"
          title="Save your version over the other one"
          onClick={onOverwrite}
        >
          Overwrite
        </button>
      </div>
    </div>
  )
}
