import { useEffect, useState, type CSSProperties, type KeyboardEvent } from 'react'

import {
  appPathOf,
  DEVICE_WIDTHS,
  hostOf,
  isDevice,
  normalizeAppPath,
  previewTarget,
  type Device,
} from '../state/previewAddress'
import type { PreviewState } from '../state/workspace'
import { ExternalIcon, MonitorIcon, PhoneIcon, ReloadIcon, TabletIcon } from './icons'

interface Props {
  preview: PreviewState
  /** The sandbox's last log line while it starts. */
  log: string | null
  onReload: () => void
}

const DEVICE_KEY = 'tessera.preview.device'

const DEVICES: { device: Device; label: string; Icon: typeof PhoneIcon }[] = [
  { device: 'mobile', label: 'Mobile (375 px)', Icon: PhoneIcon },
  { device: 'tablet', label: 'Tablet (768 px)', Icon: TabletIcon },
  { device: 'desktop', label: 'Desktop (full width)', Icon: MonitorIcon },
]

function useDevice(): [Device, (device: Device) => void] {
  const [device, setDevice] = useState<Device>(() => {
    const saved = window.localStorage.getItem(DEVICE_KEY)
    return isDevice(saved) ? saved : 'desktop'
  })
  const change = (next: Device) => {
    setDevice(next)
    window.localStorage.setItem(DEVICE_KEY, next)
  }
  return [device, change]
}

/**
 * The running app. The iframe's `src` changes only when a new preview URL becomes ready or
 * the user goes to another path with the address bar; deploys and runs update the app in
 * place through the dev server's hot reload. The reload button recreates the iframe.
 */
export function PreviewPane({ preview, log, onReload }: Props) {
  const [device, setDevice] = useDevice()
  /** The path the user asked for; null: the preview URL as the server gave it. */
  const [path, setPath] = useState<string | null>(null)
  const [typed, setTyped] = useState<string | null>(null)
  const base = preview.src ?? preview.url
  const shownPath = path ?? (base ? appPathOf(base) : '/')
  const frameSrc = preview.src ? (path === null ? preview.src : previewTarget(preview.src, path)) : null
  const openUrl = base ? (path === null ? base : previewTarget(base, path)) : null

  // Another sandbox (another URL): the address bar shows its path again unless the user typed one.
  useEffect(() => setTyped(null), [preview.src])

  const go = () => {
    if (typed === null) return
    setPath(normalizeAppPath(typed))
    setTyped(null)
  }
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Enter') {
      event.preventDefault()
      go()
    } else if (event.key === 'Escape') {
      setTyped(null)
      event.currentTarget.blur()
    }
  }

  const status = preview.status === 'idle' ? 'starting' : preview.status
  const width = DEVICE_WIDTHS[device]
  return (
    <section className="preview-pane" aria-label="Preview">
      <div className="preview-toolbar">
        <button
          type="button"
          className="icon-button"
          data-testid="reload-preview"
          title="Reload the preview"
          aria-label="Reload the preview"
          disabled={!preview.src}
          onClick={onReload}
        >
          <ReloadIcon size={14} />
        </button>
        <div className="url-bar" data-testid="preview-url" title={openUrl ?? ''}>
          {base ? (
            <>
              <span className="url-origin">{hostOf(base)}</span>
              <input
                className="url-path"
                data-testid="preview-address"
                aria-label="Path in the app"
                value={typed ?? shownPath}
                spellCheck={false}
                autoComplete="off"
                onChange={(event) => setTyped(event.target.value)}
                onKeyDown={onKeyDown}
                onBlur={() => setTyped(null)}
              />
            </>
          ) : (
            <span className="url-placeholder">
              {preview.status === 'starting' ? 'Starting the sandbox…' : 'No preview yet'}
            </span>
          )}
        </div>
        <div className="segmented devices" role="group" aria-label="Device width">
          {DEVICES.map(({ device: d, label, Icon }) => (
            <button
              key={d}
              type="button"
              className="segment icon"
              data-testid={`device-${d}`}
              aria-pressed={device === d}
              aria-label={label}
              title={label}
              onClick={() => setDevice(d)}
            >
              <Icon size={13} />
            </button>
          ))}
        </div>
        <a
          className={`icon-button${openUrl ? '' : ' disabled'}`}
          data-testid="open-new-tab"
          href={openUrl ?? undefined}
          target="_blank"
          rel="noopener noreferrer"
          title="Open in new tab"
          aria-label="Open in new tab"
          aria-disabled={openUrl ? undefined : 'true'}
        >
          <ExternalIcon size={14} />
        </a>
      </div>
      <div className="preview-statusbar">
        <span
          className={`preview-status ${status}`}
          data-testid="preview-status"
          data-status={status}
          title={status === 'error' ? (preview.error ?? '') : undefined}
        >
          <span className="status-dot" />
          {status === 'ready' ? 'Ready' : status === 'starting' ? 'Starting…' : `Error: ${preview.error ?? 'the preview failed'}`}
        </span>
        {width !== null && <span className="muted small">{width} px</span>}
      </div>
      <div className={`preview-body device-${device}`}>
        {frameSrc ? (
          <div
            className="preview-device"
            style={width === null ? undefined : ({ width, '--device-width': `${width}px` } as CSSProperties)}
          >
            <iframe
              key={preview.reloadKey}
              data-testid="preview-frame"
              className="preview-frame"
              src={frameSrc}
              title="App preview"
              sandbox="allow-scripts allow-same-origin allow-forms allow-popups allow-modals allow-downloads"
              allow="clipboard-read; clipboard-write"
            />
          </div>
        ) : (
          <div className="preview-placeholder">
            {preview.status === 'error' ? (
              <p className="error-text">The preview could not start: {preview.error}</p>
            ) : preview.status === 'starting' ? (
              <>
                <span className="spinner" />
                <p className="muted">Starting the preview…</p>
                {log && <code className="preview-log">{log}</code>}
              </>
            ) : (
              <p className="muted">The running app appears here.</p>
            )}
          </div>
        )}
        {preview.src && preview.status === 'error' && (
          <div className="preview-banner error-text">The preview failed: {preview.error}</div>
        )}
      </div>
    </section>
  )
}
