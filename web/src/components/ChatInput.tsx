import { useState, type KeyboardEvent } from 'react'

import { ArrowUpIcon } from './icons'

interface Props {
  disabled: boolean
  onSend: (text: string) => void
}

/** Enter or Ctrl/Cmd+Enter sends; Shift+Enter inserts a new line. Disabled while a run streams. */
export function ChatInput({ disabled, onSend }: Props) {
  const [text, setText] = useState('')

  const send = () => {
    const value = text.trim()
    if (!value || disabled) return
    onSend(value)
    setText('')
  }

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key !== 'Enter' || event.nativeEvent.isComposing) return
    if (event.shiftKey && !(event.ctrlKey || event.metaKey)) return
    event.preventDefault()
    send()
  }

  return (
    <form
      className="chat-input"
      onSubmit={(event) => {
        event.preventDefault()
        send()
      }}
    >
      <textarea
        data-testid="chat-input"
        value={text}
        rows={3}
        disabled={disabled}
        placeholder={disabled ? 'Working on it…' : 'Ask for a change…'}
        aria-label="Message"
        onChange={(event) => setText(event.target.value)}
        onKeyDown={onKeyDown}
      />
      <div className="chat-input-actions">
        <span className="hint">
          <kbd>Enter</kbd> to send · <kbd>Shift</kbd>+<kbd>Enter</kbd> new line
        </span>
        <button
          type="submit"
          className="button primary"
          data-testid="chat-send"
          disabled={disabled || !text.trim()}
        >
          <ArrowUpIcon size={14} /> Send
        </button>
      </div>
    </form>
  )
}
