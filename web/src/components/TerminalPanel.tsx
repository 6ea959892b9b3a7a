import { useCallback, useEffect, useRef, useState, type JSX } from 'react'
import { FitAddon } from '@xterm/addon-fit'
import { Terminal, type ITheme } from '@xterm/xterm'
import '@xterm/xterm/css/xterm.css'

import type { Theme } from '../state/theme'
import { useTheme } from '../state/useTheme'

/**
 * The first character of a control message, both ways (`WS /api/projects/{id}/terminal`):
 * the client sends `\u0000{"type":"resize","cols":N,"rows":M}`; the server sends
 * `\u0000{"type":"exit","exit_code":N}` when the shell ended and
 * `\u0000{"type":"error","code","message"}` when it could not be opened. Output comes in
 * binary frames; keystrokes go in text frames (binary when they start with NUL, Ctrl+@).
 */
const CONTROL = '\u0000'

type Status =
  | { kind: 'connecting' }
  | { kind: 'open' }
  | { kind: 'closed'; message: string }

type ServerControl =
  | { type: 'exit'; exit_code: number | null }
  | { type: 'error'; code: string; message: string }

const THEMES: Record<Theme, ITheme> = {
  light: {
    background: '#fcfcfd',
    foreground: '#18181b',
    cursor: '#18181b',
    cursorAccent: '#fcfcfd',
    selectionBackground: '#c7d2fe',
  },
  dark: {
    background: '#111113',
    foreground: '#e4e4e7',
    cursor: '#e4e4e7',
    cursorAccent: '#111113',
    selectionBackground: '#3f3f76',
  },
}

function terminalUrl(projectId: string, cols: number, rows: number): string {
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws'
  const path = `/api/projects/${encodeURIComponent(projectId)}/terminal`
  return `${scheme}://${window.location.host}${path}?cols=${cols}&rows=${rows}`
}

function parseControl(text: string): ServerControl | null {
  try {
    const message: unknown = JSON.parse(text.slice(CONTROL.length))
    if (typeof message === 'object' && message !== null && 'type' in message) return message as ServerControl
  } catch {
    // Not a control message this client knows: ignored.
  }
  return null
}

/** Why the socket closed, in words, when the server did not say. */
function closeMessage(event: CloseEvent): string {
  if (event.reason) return event.reason
  if (event.code === 1000) return 'The terminal was closed.'
  return 'The connection to the terminal was lost.'
}

/** A line the terminal shows in its own voice (dim, between brackets). */
function notice(text: string): string {
  return `\r\n\x1b[2m[${text}]\x1b[0m\r\n`
}

/**
 * A terminal into the project's sandbox: xterm.js over a WebSocket to a shell (bash) in the
 * project folder. It fits its container (and tells the shell the new size), follows the
 * app's theme, and offers to reconnect once the shell or the connection has ended. The
 * shell lives as long as the socket: unmounting the panel ends it.
 */
export function TerminalPanel({ projectId }: { projectId: string }): JSX.Element {
  const theme = useTheme()
  const containerRef = useRef<HTMLDivElement>(null)
  const terminalRef = useRef<Terminal | null>(null)
  const socketRef = useRef<WebSocket | null>(null)
  const [status, setStatus] = useState<Status>({ kind: 'connecting' })
  const [attempt, setAttempt] = useState(0)

  const send = useCallback((data: string | Uint8Array<ArrayBuffer>) => {
    const socket = socketRef.current
    if (socket?.readyState === WebSocket.OPEN) socket.send(data)
  }, [])

  // The terminal itself, once per project: fitted to the container whenever it changes size.
  useEffect(() => {
    const container = containerRef.current
    if (!container) return
    const terminal = new Terminal({
      cursorBlink: true,
      fontFamily: getComputedStyle(document.documentElement).getPropertyValue('--mono').trim() || 'monospace',
      fontSize: 13,
      scrollback: 5000,
      theme: THEMES[theme],
    })
    const fit = new FitAddon()
    terminal.loadAddon(fit)
    terminal.open(container)
    terminalRef.current = terminal

    let frame = 0
    const fitSoon = () => {
      cancelAnimationFrame(frame)
      frame = requestAnimationFrame(() => {
        // A hidden panel has no size: keep the last one until it is shown again.
        if (container.clientWidth > 0 && container.clientHeight > 0) fit.fit()
      })
    }
    fitSoon()
    const observer = new ResizeObserver(fitSoon)
    observer.observe(container)

    const encoder = new TextEncoder()
    const subscriptions = [
      terminal.onData((data) => send(data.startsWith(CONTROL) ? encoder.encode(data) : data)),
      terminal.onBinary((data) => send(Uint8Array.from(data, (char) => char.charCodeAt(0) & 0xff))),
      terminal.onResize(({ cols, rows }) => send(CONTROL + JSON.stringify({ type: 'resize', cols, rows }))),
    ]
    return () => {
      cancelAnimationFrame(frame)
      observer.disconnect()
      for (const subscription of subscriptions) subscription.dispose()
      terminalRef.current = null
      terminal.dispose()
    }
    // The theme is applied by its own effect: a new terminal only for a new project.
  }, [projectId, send])

  useEffect(() => {
    const terminal = terminalRef.current
    if (terminal) terminal.options.theme = THEMES[theme]
  }, [theme])

  // One socket per connection (a reconnect opens a new one, with a new shell).
  useEffect(() => {
    const terminal = terminalRef.current
    if (!terminal) return
    const socket = new WebSocket(terminalUrl(projectId, terminal.cols, terminal.rows))
    socket.binaryType = 'arraybuffer'
    socketRef.current = socket
    setStatus({ kind: 'connecting' })
    let ended: string | null = null

    // The size may have changed while connecting (the first fit comes after the socket).
    socket.onopen = () => socket.send(CONTROL + JSON.stringify({ type: 'resize', cols: terminal.cols, rows: terminal.rows }))
    socket.onmessage = (event: MessageEvent<ArrayBuffer | string>) => {
      const { data } = event
      if (typeof data !== 'string') {
        // The server answers at once and starts the sandbox: the shell is there once it speaks.
        setStatus((current) => (current.kind === 'open' ? current : { kind: 'open' }))
        terminal.write(new Uint8Array(data))
        return
      }
      if (!data.startsWith(CONTROL)) {
        terminal.write(data)
        return
      }
      const control = parseControl(data)
      if (control?.type === 'exit') {
        ended = control.exit_code === null ? 'The shell ended.' : `The shell ended (exit code ${control.exit_code}).`
      } else if (control?.type === 'error') {
        ended = control.message
      }
    }
    socket.onclose = (event) => {
      if (socketRef.current !== socket) return
      socketRef.current = null
      const message = ended ?? closeMessage(event)
      terminal.write(notice(message))
      setStatus({ kind: 'closed', message })
    }
    return () => {
      socket.onopen = socket.onmessage = socket.onclose = null
      if (socketRef.current === socket) socketRef.current = null
      socket.close(1000)
    }
  }, [projectId, attempt])

  const reconnect = () => {
    terminalRef.current?.focus()
    setAttempt((count) => count + 1)
  }

  return (
    <div
      data-testid="terminal"
      data-status={status.kind}
      style={{ position: 'relative', flex: 1, minWidth: 0, height: '100%', padding: '4px 0 0 8px', background: THEMES[theme].background }}
    >
      <div ref={containerRef} style={{ width: '100%', height: '100%' }} />
      {status.kind !== 'open' && (
        <div
          role="status"
          style={{
            position: 'absolute',
            top: 8,
            right: 12,
            display: 'flex',
            alignItems: 'center',
            gap: 8,
            maxWidth: '70%',
            padding: '4px 8px',
            border: '1px solid var(--border)',
            borderRadius: 'var(--radius)',
            background: 'var(--surface)',
            color: 'var(--muted)',
            fontSize: 12,
            boxShadow: 'var(--shadow)',
          }}
        >
          {status.kind === 'connecting' ? (
            <span>Starting the sandbox…</span>
          ) : (
            <>
              <span data-testid="terminal-status">{status.message}</span>
              <button type="button" className="button small" data-testid="terminal-reconnect" onClick={reconnect}>
                Reconnect
              </button>
            </>
          )}
        </div>
      )}
    </div>
  )
}
