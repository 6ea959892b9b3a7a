/**
 * What is known of a saved API key beside its (write-only) input: the masked hint, where
 * the key comes from, and a Clear link when the key can be removed from here.
 */
interface KeyStatusProps {
  /** The input's testid: the status is `${id}-status`, the link `${id}-clear`. */
  id: string
  set: boolean
  hint: string | null | undefined
  /** "from the environment", "saved"… (null: say nothing). */
  sourceText: string | null
  clearable: boolean
  disabled: boolean
  onClear: () => void
}

export function KeyStatus({ id, set, hint, sourceText, clearable, disabled, onClear }: KeyStatusProps) {
  return (
    <span className="key-status" data-testid={`${id}-status`}>
      {set ? (
        <>
          <code>{hint ?? 'set'}</code>
          {sourceText && <span className="muted"> {sourceText}</span>}
          {clearable && (
            <>
              {' · '}
              <button type="button" className="link-button inline" data-testid={`${id}-clear`} disabled={disabled} onClick={onClear}>
                Clear
              </button>
            </>
          )}
        </>
      ) : (
        <span className="muted">Not set</span>
      )}
    </span>
  )
}
