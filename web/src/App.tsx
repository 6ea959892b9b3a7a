import { HomePage } from './pages/HomePage'
import { NotFoundPage } from './pages/NotFoundPage'
import { SettingsPage } from './pages/SettingsPage'
import { WorkspacePage } from './pages/WorkspacePage'
import { matchRoute, usePathname } from './router'

export function App() {
  const route = matchRoute(usePathname())
  switch (route.page) {
    case 'home':
      return <HomePage />
    case 'project':
      // Keyed by id: another project gets a fresh workspace (state, editor, models).
      return <WorkspacePage key={route.id} projectId={route.id} />
    case 'settings':
      return <SettingsPage />
    case 'notFound':
      return <NotFoundPage />
  }
}
