import { useEffect, useState, type ReactNode } from 'react'

import { api } from '../api/client'
import { SETTINGS_PATH } from '../router'
import { GearIcon, Logo } from './icons'
import { Link } from './Link'
import { ThemeToggle } from './ThemeToggle'

export function TopBar({ children }: { children?: ReactNode }) {
  return (
    <>
      <header className="topbar">
        <Link href="/" className="brand" aria-label="Tessera home">
          <Logo />
          <span>Tessera</span>
        </Link>
        {children && <div className="topbar-extra">{children}</div>}
        <nav className="topbar-nav">
          <Link href="/" className="topbar-link">
            New app
          </Link>
          <Link href={SETTINGS_PATH} className="topbar-link" data-testid="nav-settings">
            <GearIcon size={14} /> Settings
          </Link>
          <ThemeToggle />
        </nav>
      </header>
      <IsolationWarning />
    </>
  )
}

/** A banner while sandboxes run without isolation (TESSERA_SANDBOX_ISOLATION=none). */
function IsolationWarning() {
  const [unisolated, setUnisolated] = useState(false)
  useEffect(() => {
    const abort = new AbortController()
    api.config(abort.signal).then(
      (config) => setUnisolated(config.isolation === 'none'),
      () => undefined,
    )
    return () => abort.abort()
  }, [])
  if (!unisolated) return null
  return (
    <div className="isolation-warning" role="alert" data-testid="isolation-warning">
      Sandboxes run without isolation (TESSERA_SANDBOX_ISOLATION=none): generated apps run with
      this server&apos;s user and can read its files. Use it only for code you trust.
    </div>
  )
}
