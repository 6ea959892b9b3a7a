/**
 * Path routing on the history API. The server answers index.html for every non-API
 * path, so `/p/{id}` can be opened, reloaded and shared directly.
 */

import { useSyncExternalStore } from 'react'

const CHANGE = 'tessera:navigate'

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === window.location.pathname + window.location.search) return
  if (options.replace) window.history.replaceState(null, '', to)
  else window.history.pushState(null, '', to)
  window.dispatchEvent(new Event(CHANGE))
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange)
  window.addEventListener(CHANGE, onChange)
  return () => {
    window.removeEventListener('popstate', onChange)
    window.removeEventListener(CHANGE, onChange)
  }
}

export function usePathname(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname)
}

export const SETTINGS_PATH = '/settings'

export type Route = { page: 'home' } | { page: 'project'; id: string } | { page: 'settings' } | { page: 'notFound' }

export function matchRoute(pathname: string): Route {
  if (pathname === '/' || pathname === '') return { page: 'home' }
  if (pathname === SETTINGS_PATH || pathname === `${SETTINGS_PATH}/`) return { page: 'settings' }
  const project = /^\/p\/([^/]+)\/?$/.exec(pathname)
  if (project) return { page: 'project', id: decodeURIComponent(project[1]) }
  return { page: 'notFound' }
}

export const projectPath = (id: string) => `/p/${encodeURIComponent(id)}`
