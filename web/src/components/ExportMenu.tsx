import { useEffect, useRef, useState } from 'react'

import { errorMessage, isAbort } from '../api/client'
import { exportGitUrl, exportZipUrl, publishApi, type Publication } from '../api/publish'
import { timeAgo } from '../time'
import { ChevronIcon, DownloadIcon, GlobeIcon } from './icons'

interface Props {
  projectId: string
  /** Edits not deployed yet are sent first, so the export and the build have them. */
  onBeforeExport: () => Promise<boolean>
}

/**
 * Export and publish: the files as a zip, a git repository (one commit per version), and
 * Publish — a production build served by Tessera at `/apps/{slug}/`, which keeps working when
 * the sandbox sleeps; publishing again updates it at the same URL.
 */
export function ExportMenu({ projectId, onBeforeExport }: Props) {
  const [open, setOpen] = useState(false)
  const [publication, setPublication] = useState<Publication | null>(null)
  const [publishing, setPublishing] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const rootRef = useRef<HTMLDivElement>(null)
  const alive = useRef(true)
  useEffect(() => {
    alive.current = true
    return () => {
      alive.current = false
    }
  }, [])

  // The current publication, when the menu opens.
  useEffect(() => {
    if (!open) return
    const controller = new AbortController()
    publishApi.get(projectId, controller.signal).then(
      (current) => setPublication(current),
      (e: unknown) => {
        if (!isAbort(e)) setError(errorMessage(e))
      },
    )
    return () => controller.abort()
  }, [open, projectId])

  // Clicking elsewhere or Escape closes it (a publish under way goes on).
  useEffect(() => {
    if (!open) return
    const onPointer = (event: PointerEvent) => {
      if (rootRef.current && !rootRef.current.contains(event.target as Node)) setOpen(false)
    }
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') setOpen(false)
    }
    document.addEventListener('pointerdown', onPointer)
    document.addEventListener('keydown', onKey)
    return () => {
      document.removeEventListener('pointerdown', onPointer)
      document.removeEventListener('keydown', onKey)
    }
  }, [open])

  const publish = async () => {
    setPublishing(true)
    setError(null)
    try {
      await onBeforeExport()
      const published = await publishApi.publish(projectId, publication?.slug)
      if (alive.current) setPublication(published)
    } catch (e) {
      if (alive.current) setError(errorMessage(e))
    } finally {
      if (alive.current) setPublishing(false)
    }
  }

  /**
   * The download starts once the edits still waiting are deployed. A temporary link with
   * `download` is clicked: an error answer then never replaces the page.
   */
  const download = (url: string) => {
    void onBeforeExport().then(() => {
      const link = document.createElement('a')
      link.href = url
      link.download = ''
      document.body.append(link)
      link.click()
      link.remove()
    })
  }

  const absolute = publication ? new URL(publication.url, window.location.origin).href : null
  return (
    <div className="popover-anchor" ref={rootRef}>
      <button
        type="button"
        className="button"
        data-testid="export-menu"
        aria-label="Export and publish"
        aria-haspopup="true"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
      >
        <GlobeIcon size={14} />
        <span className="label-text">Export</span>
        <ChevronIcon size={11} className={`chevron down${open ? ' open' : ''}`} />
      </button>
      {open && (
        <div className="popover menu" role="menu" aria-label="Export and publish">
          <a
            className="menu-item"
            role="menuitem"
            data-testid="export-zip"
            href={exportZipUrl(projectId)}
            download
            onClick={(event) => {
              event.preventDefault()
              download(exportZipUrl(projectId))
            }}
          >
            <DownloadIcon size={14} />
            <span>
              Download zip
              <small>The project&apos;s files</small>
            </span>
          </a>
          <a
            className="menu-item"
            role="menuitem"
            data-testid="export-git"
            href={exportGitUrl(projectId)}
            download
            onClick={(event) => {
              event.preventDefault()
              download(exportGitUrl(projectId))
            }}
          >
            <DownloadIcon size={14} />
            <span>
              Export git repository
              <small>A zip with one commit per version</small>
            </span>
          </a>
          <div className="menu-separator" />
          <div className="publish-section">
            <div className="publish-head">
              <strong>Publish</strong>
              <span className="muted small">A production build at a stable address</span>
            </div>
            {publication && absolute && (
              <p className="publish-url">
                <a data-testid="published-url" href={absolute} target="_blank" rel="noopener noreferrer">
                  {absolute}
                </a>
                <span className="muted small">
                  {' '}
                  · {publication.version_number ? `version ${publication.version_number}, ` : ''}
                  {timeAgo(publication.published_at)}
                </span>
              </p>
            )}
            {error && (
              <p className="error-text small" data-testid="publish-error" role="alert">
                {error}
              </p>
            )}
            <button
              type="button"
              className="button primary small"
              data-testid="publish-button"
              disabled={publishing}
              aria-busy={publishing}
              onClick={() => void publish()}
            >
              {publishing ? <span className="spinner small" aria-hidden="true" /> : <GlobeIcon size={12} />}
              {publishing ? 'Publishing…' : publication ? 'Publish again' : 'Publish'}
            </button>
          </div>
        </div>
      )}
    </div>
  )
}
