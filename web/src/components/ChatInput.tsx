import { useEffect, useImperativeHandle, useRef, useState, type KeyboardEvent, type Ref } from 'react'

import { errorMessage, type RunMode } from '../api/client'
import { ArrowUpIcon, SparkleIcon } from './icons'

/** What the page can do with the message box (Ctrl/Cmd+Enter from anywhere sends). */
export interface ChatInputHandle {
  send: () => void
}

interface Props {
  ref?: Ref<ChatInputHandle>
  disabled: boolean
  onSend: (text: string, mode: RunMode) => void
  /** Resolves to a fuller version of the request, which replaces the text typed. */
  onEnhance: (text: string) => Promise<string>
}

const MODES: { mode: RunMode; label: string; title: string }[] = [
  { mode: 'build', label: 'Build', title: 'Change the app: the model writes code and the preview updates' },
  { mode: 'chat', label: 'Chat', title: 'Ask about the app: the model answers and changes no file' },
]

/**
 * The message box: Build or Chat mode, Enhance (rewrites the request as a fuller
 * specification to review before sending). Enter or Ctrl/Cmd+Enter sends; Shift+Enter
 * inserts a new line. Disabled while a run streams.
 */
export function ChatInput({ ref, disabled, onSend, onEnhance }: Props) {
  const [text, setText] = useState('')
  const [mode, setMode] = useState<RunMode>('build')
  const [enhancing, setEnhancing] = useState(false)
  const [enhanceError, setEnhanceError] = useState<string | null>(null)
  const alive = useRef(true)
  useEffect(() => {
    alive.current = true
    return () => {
      alive.current = false
    }
  }, [])

  const send = () => {
    const value = text.trim()
    if (!value || disabled || enhancing) return
    onSend(value, mode)
    setText('')
    setEnhanceError(null)
  }

  useImperativeHandle(ref, () => ({ send }))

  const enhance = async () => {
    const value = text.trim()
    if (!value || disabled || enhancing) return
    setEnhancing(true)
    setEnhanceError(null)
    try {
      const enhanced = await onEnhance(value)
      if (alive.current && enhanced.trim()) setText(enhanced)
    } catch (error) {
      if (alive.current) setEnhanceError(`Could not enhance the prompt: ${errorMessage(error)}`)
    } finally {
      if (alive.current) setEnhancing(false)
    }
  }

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key !== 'Enter' || event.nativeEvent.isComposing) return
    if (event.shiftKey && !(event.ctrlKey || event.metaKey)) return
    event.preventDefault()
    send()
  }

  const placeholder = disabled
    ? 'Working on it…'
    : enhancing
      ? 'Enhancing your prompt…'
      : mode === 'chat'
        ? 'Ask about your app…'
        : 'Ask for a change…'

  return (
    <form
      className={`chat-input mode-${mode}`}
      onSubmit={(event) => {
        event.preventDefault()
        send()
      }}
    >
      <div className="chat-input-top">
        <div className="segmented" role="group" aria-label="Mode">
          {MODES.map((m) => (
            <button
              key={m.mode}
              type="button"
              className="segment"
              data-testid={`mode-${m.mode}`}
              aria-pressed={mode === m.mode}
              title={m.title}
              onClick={() => setMode(m.mode)}
            >
              {m.label}
            </button>
          ))}
        </div>
        <button
          type="button"
          className="button ghost small"
          data-testid="enhance-prompt"
          disabled={disabled || enhancing || !text.trim()}
          aria-busy={enhancing}
          title="Rewrite the request as a fuller specification, to review before sending"
          onClick={() => void enhance()}
        >
          {enhancing ? <span className="spinner small" aria-hidden="true" /> : <SparkleIcon size={13} />}
          {enhancing ? 'Enhancing…' : 'Enhance'}
        </button>
      </div>
      <textarea
        data-testid="chat-input"
        value={text}
        rows={3}
        disabled={disabled}
        readOnly={enhancing}
        placeholder={placeholder}
        aria-label="Message"
        onChange={(event) => setText(event.target.value)}
        onKeyDown={onKeyDown}
      />
      {enhanceError && (
        <p className="chat-input-error" data-testid="enhance-error" role="alert">
          {enhanceError}
        </p>
      )}
      <div className="chat-input-actions">
        <span className="hint" title="Ctrl+Enter (⌘+Enter) sends from anywhere in the workspace">
          <kbd>Enter</kbd> to send · <kbd>Shift</kbd>+<kbd>Enter</kbd> new line
        </span>
        <button
          type="submit"
          className="button primary"
          data-testid="chat-send"
          disabled={disabled || enhancing || !text.trim()}
        >
          <ArrowUpIcon size={14} /> Send
        </button>
      </div>
    </form>
  )
}
