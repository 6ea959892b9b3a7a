import type { ChatItem } from '../state/workspace'
import { ChatInput } from './ChatInput'
import { ChatMessages } from './ChatMessages'

interface Props {
  items: ChatItem[]
  running: boolean
  modelLabel: string | null
  onSend: (text: string) => void
  onOpenFile: (path: string) => void
}

export function ChatPanel({ items, running, modelLabel, onSend, onOpenFile }: Props) {
  return (
    <aside className="chat-panel">
      <div className="panel-header">
        <span className="panel-title">Chat</span>
        <span className="model-label" data-testid="model-label" title="The model that writes the code">
          {modelLabel ?? '…'}
        </span>
      </div>
      <ChatMessages items={items} running={running} onOpenFile={onOpenFile} />
      <ChatInput disabled={running} onSend={onSend} />
    </aside>
  )
}
