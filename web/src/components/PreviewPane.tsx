import type { PreviewState } from '../state/workspace'
import { ExternalIcon, ReloadIcon } from './icons'

interface Props {
  preview: PreviewState
  /** The sandbox's last log line while it starts. */
  log: string | null
  onReload: () => void
}

/**
 * The running app. The iframe's `src` changes only when a new preview URL becomes ready;
 * deploys and runs update the app in place through the dev server's hot reload. The reload
 * button recreates the iframe.
 */
export function PreviewPane({ preview, log, onReload }: Props) {
  const url = preview.src ?? preview.url
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
        <div className="url-bar" data-testid="preview-url" title={url ?? ''}>
          {url ?? (preview.status === 'starting' ? 'Starting the sandbox…' : 'No preview yet')}
        </div>
        <a
          className={`icon-button${url ? '' : ' disabled'}`}
          data-testid="open-new-tab"
          href={url ?? undefined}
          target="_blank"
          rel="noopener noreferrer"
          title="Open in new tab"
          aria-label="Open in new tab"
          aria-disabled={url ? undefined : 'true'}
        >
          <ExternalIcon size={14} />
        </a>
      </div>
      <div className="preview-body">
        {preview.src ? (
          <iframe
            key={preview.reloadKey}
            data-testid="preview-frame"
            className="preview-frame"
            src={preview.src}
            title="App preview"
            sandbox="allow-scripts allow-same-origin allow-forms allow-popups allow-modals allow-downloads"
            allow="clipboard-read; clipboard-write"
          />
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
