import type { Ref } from 'react'

import type { RunMode } from '../api/client'
import type { ChatItem } from '../state/workspace'
import { ChatInput, type ChatInputHandle } from './ChatInput'
import { ChatMessages } from './ChatMessages'

interface Props {
  inputRef?: Ref<ChatInputHandle>
  items: ChatItem[]
  running: boolean
  /** The project is still loading: a message sent now would be wiped by its chat history. */
  loading: boolean
  modelLabel: string | null
  onSend: (text: string, mode: RunMode) => void
  onEnhance: (text: string) => Promise<string>
  onOpenFile: (path: string) => void
  onShowConsole: () => void
}

export function ChatPanel({ inputRef, items, running, loading, modelLabel, onSend, onEnhance, onOpenFile, onShowConsole }: Props) {
  return (
    <aside className="chat-panel">
      <div className="panel-header">
        <span className="panel-title">Chat</span>
        <span className="model-label" data-testid="model-label" title="The model that writes the code">
          {modelLabel ?? '…'}
        </span>
      </div>
      <ChatMessages items={items} running={running} onOpenFile={onOpenFile} onShowConsole={onShowConsole} />
      <ChatInput ref={inputRef} disabled={running || loading} onSend={onSend} onEnhance={onEnhance} />
    </aside>
  )
}
