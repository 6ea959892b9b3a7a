import { useEffect, useRef, type ReactNode } from 'react'

interface Props {
  title: string
  children: ReactNode
  confirmLabel: string
  busy?: boolean
  /** Shown in the dialog when the action failed; the dialog stays open. */
  error?: string | null
  onConfirm: () => void
  onCancel: () => void
}

/**
 * A modal confirmation for an action that cannot be undone (deleting a project, a file, a
 * folder). Escape or a click outside cancels; Cancel has the focus, so Enter never deletes
 * by accident.
 */
export function ConfirmDialog({ title, children, confirmLabel, busy = false, error, onConfirm, onCancel }: Props) {
  const cancelRef = useRef<HTMLButtonElement>(null)
  const onCancelRef = useRef(onCancel)
  useEffect(() => {
    onCancelRef.current = onCancel
  })
  useEffect(() => {
    cancelRef.current?.focus()
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') onCancelRef.current()
    }
    document.addEventListener('keydown', onKey)
    return () => document.removeEventListener('keydown', onKey)
  }, [])

  return (
    <div
      className="dialog-backdrop"
      onPointerDown={(event) => {
        if (event.target === event.currentTarget && !busy) onCancel()
      }}
    >
      <div className="dialog" role="alertdialog" aria-modal="true" aria-labelledby="confirm-title" data-testid="confirm-dialog">
        <h2 id="confirm-title" className="dialog-title">
          {title}
        </h2>
        <div className="dialog-body">{children}</div>
        {error && (
          <p className="error-text small" role="alert" data-testid="confirm-error">
            {error}
          </p>
        )}
        <div className="dialog-actions">
          <button ref={cancelRef} type="button" className="button" data-testid="cancel-delete" disabled={busy} onClick={onCancel}>
            Cancel
          </button>
          <button type="button" className="button danger" data-testid="confirm-delete" disabled={busy} onClick={onConfirm}>
            {busy ? 'Deleting…' : confirmLabel}
          </button>
        </div>
      </div>
    </div>
  )
}
