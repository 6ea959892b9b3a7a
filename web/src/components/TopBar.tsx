import type { ReactNode } from 'react'

import { Logo } from './icons'
import { Link } from './Link'

export function TopBar({ children }: { children?: ReactNode }) {
  return (
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
      </nav>
    </header>
  )
}
