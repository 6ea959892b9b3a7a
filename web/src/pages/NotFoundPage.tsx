import { Link } from '../components/Link'
import { TopBar } from '../components/TopBar'

export function NotFoundPage() {
  return (
    <div className="page">
      <TopBar />
      <main className="centered">
        <h1>Page not found</h1>
        <p className="muted">There is nothing at {window.location.pathname}.</p>
        <Link href="/" className="button">
          Back to projects
        </Link>
      </main>
    </div>
  )
}
