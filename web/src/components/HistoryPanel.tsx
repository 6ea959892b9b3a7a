import type { VersionSummary } from '../api/history'
import { changedText, CURRENT, kindLabel, refOf, type VersionRef } from '../state/history'
import type { TurnDiffFile } from '../state/turnDiff'
import { timeAgo } from '../time'
import { CloseIcon, DiffIcon } from './icons'

interface Props {
  versions: VersionSummary[] | null
  loadError: string | null
  selected: readonly VersionRef[]
  canCompare: boolean
  comparing: boolean
  /** The action under way ("restore-<id>", "undo"), or null. */
  busy: string | null
  running: boolean
  /** The current (or last) run's changed files, or null when no run happened here. */
  turnFiles: TurnDiffFile[] | null
  onToggle: (ref: VersionRef) => void
  onCompare: () => void
  onRestore: (version: VersionSummary) => void
  onShowTurnFile: (path: string) => void
  onClose: () => void
}

/**
 * Every version of the project, newest first: who made it (the AI, a hand edit, a
 * restore), when, its message and how many files it changed. Two can be compared (or one
 * with the current files); any can be restored (as a new version: nothing is lost). While a
 * run streams, the files it changed so far are listed at the top, each with its live diff.
 */
export function HistoryPanel(props: Props) {
  const { versions, loadError, selected, canCompare, comparing, busy, running, turnFiles } = props
  const currentSelected = selected.includes(CURRENT)
  return (
    <aside className="history-panel" data-testid="history-panel" aria-label="History">
      <div className="panel-header compact">
        <span className="panel-title">History</span>
        <button type="button" className="icon-button small" aria-label="Close the history" title="Close" onClick={props.onClose}>
          <CloseIcon size={13} />
        </button>
      </div>

      {turnFiles !== null && (
        <section className="turn-diff" data-testid="turn-diff" data-running={running ? 'true' : 'false'}>
          <h3>
            {running ? 'Changes in this turn' : 'Changes in the last turn'}
            {running && <span className="spinner small" aria-label="being written" />}
          </h3>
          {turnFiles.length === 0 ? (
            <p className="muted small">{running ? 'No file changed yet.' : 'No file changed.'}</p>
          ) : (
            <ul>
              {turnFiles.map((file) => (
                <li key={file.path}>
                  <button
                    type="button"
                    className="turn-diff-file"
                    data-testid="turn-diff-file"
                    data-path={file.path}
                    data-change={file.change}
                    title={`Show the changes to ${file.path}`}
                    onClick={() => props.onShowTurnFile(file.path)}
                  >
                    <span className={`change-tag ${file.change}`}>{file.change[0].toUpperCase()}</span>
                    <span className="diff-file-path">
                      <bdi>{file.path}</bdi>
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}

      <div className="history-toolbar">
        <button
          type="button"
          className="button small"
          data-testid="history-compare"
          disabled={!canCompare || comparing}
          title="Compare the two selected versions, or the selected one with the current files"
          onClick={props.onCompare}
        >
          <DiffIcon size={12} /> {comparing ? 'Comparing…' : 'Compare'}
        </button>
        <span className="muted small">
          {selected.length === 0 ? 'Select two versions, or one' : `${selected.length} selected`}
        </span>
      </div>
      {loadError && (
        <p className="error-text small history-error" data-testid="history-error" role="alert">
          {loadError}
        </p>
      )}

      <ul className="history-list">
        <li className={`history-row current${currentSelected ? ' selected' : ''}`} data-testid="history-current" data-selected={currentSelected}>
          <label className="history-pick">
            <input type="checkbox" checked={currentSelected} onChange={() => props.onToggle(CURRENT)} aria-label="Select the current files" />
            <span className="history-text">
              <span className="history-message">Current files</span>
              <span className="history-meta muted">as they are now, edits included once saved</span>
            </span>
          </label>
        </li>
        {versions === null && !loadError && <li className="muted small history-loading">Loading versions…</li>}
        {versions?.length === 0 && <li className="muted small history-loading">No version yet.</li>}
        {versions?.map((version) => {
          const ref = refOf(version)
          const isSelected = selected.includes(ref)
          const changed = version.changed?.length ?? 0
          return (
            <li
              key={ref}
              className={`history-row${isSelected ? ' selected' : ''}`}
              data-testid="history-item"
              data-version-id={ref}
              data-selected={isSelected}
            >
              <label className="history-pick">
                <input
                  type="checkbox"
                  data-testid="history-select"
                  checked={isSelected}
                  onChange={() => props.onToggle(ref)}
                  aria-label={`Select version ${version.number}`}
                />
                <span className="history-text">
                  <span className="history-message" title={version.message}>
                    <span className="history-number">#{version.number}</span> {version.message}
                  </span>
                  <span className="history-meta muted">
                    <span className={`kind-tag ${version.kind}`} data-testid="history-kind">
                      {kindLabel(version.kind)}
                    </span>
                    <span title={version.created_at}>{timeAgo(version.created_at)}</span>
                    <span data-testid="history-changed" title={(version.changed ?? []).map((c) => `${c.change}: ${c.path}`).join('\n')}>
                      {changedText(changed)}
                    </span>
                  </span>
                </span>
              </label>
              <button
                type="button"
                className="button ghost small history-restore"
                data-testid="history-restore"
                disabled={busy !== null}
                title="Make the files what they were in this version (recorded as a new version)"
                onClick={() => props.onRestore(version)}
              >
                {busy === `restore-${ref}` ? 'Restoring…' : 'Restore'}
              </button>
            </li>
          )
        })}
      </ul>
    </aside>
  )
}
