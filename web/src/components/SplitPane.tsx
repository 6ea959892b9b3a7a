import { useRef, useState, type PointerEvent, type ReactNode } from 'react'

interface Props {
  first: ReactNode
  second: ReactNode
  /** The first pane's initial share, 0..1. */
  initial?: number
  min?: number
  max?: number
  storageKey?: string
}

/** Two panes stacked vertically with a draggable divider; the share is remembered. */
export function SplitPane({ first, second, initial = 0.5, min = 0.15, max = 0.85, storageKey }: Props) {
  const [share, setShare] = useState(() => {
    const saved = storageKey ? Number(window.localStorage.getItem(storageKey)) : NaN
    return Number.isFinite(saved) && saved >= min && saved <= max ? saved : initial
  })
  const [dragging, setDragging] = useState(false)
  const rootRef = useRef<HTMLDivElement>(null)

  const onPointerDown = (event: PointerEvent<HTMLDivElement>) => {
    event.preventDefault()
    event.currentTarget.setPointerCapture(event.pointerId)
    setDragging(true)
  }
  const onPointerMove = (event: PointerEvent<HTMLDivElement>) => {
    if (!dragging || !rootRef.current) return
    const rect = rootRef.current.getBoundingClientRect()
    const next = Math.min(max, Math.max(min, (event.clientY - rect.top) / rect.height))
    setShare(next)
  }
  const onPointerUp = () => {
    if (!dragging) return
    setDragging(false)
    if (storageKey) window.localStorage.setItem(storageKey, String(share))
  }

  return (
    <div ref={rootRef} className={`split${dragging ? ' dragging' : ''}`}>
      <div className="split-pane" style={{ flexBasis: `${share * 100}%` }}>
        {first}
      </div>
      <div
        className="split-divider"
        role="separator"
        aria-orientation="horizontal"
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
      />
      <div className="split-pane" style={{ flexBasis: `${(1 - share) * 100}%` }}>
        {second}
      </div>
    </div>
  )
}
