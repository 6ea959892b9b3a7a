/**
 * Light and dark themes. The choice is the one the user made with the toggle (kept in
 * localStorage); without one, the system's preference (`prefers-color-scheme`).
 * `chooseTheme` and `nextTheme` are pure; the rest applies the theme to the page and tells
 * whoever listens (Monaco's theme follows).
 */

export type Theme = 'light' | 'dark'

export const THEME_KEY = 'tessera.theme'

export function isTheme(value: unknown): value is Theme {
  return value === 'light' || value === 'dark'
}

export function chooseTheme(stored: string | null, prefersDark: boolean): Theme {
  if (isTheme(stored)) return stored
  return prefersDark ? 'dark' : 'light'
}

export function nextTheme(theme: Theme): Theme {
  return theme === 'dark' ? 'light' : 'dark'
}

const listeners = new Set<() => void>()

function storedTheme(): string | null {
  try {
    return window.localStorage.getItem(THEME_KEY)
  } catch {
    return null
  }
}

function prefersDark(): boolean {
  return typeof window.matchMedia === 'function' && window.matchMedia('(prefers-color-scheme: dark)').matches
}

/** The theme in effect now. */
export function currentTheme(): Theme {
  const shown = document.documentElement.dataset.theme
  return isTheme(shown) ? shown : chooseTheme(storedTheme(), prefersDark())
}

function apply(theme: Theme): void {
  const root = document.documentElement
  if (root.dataset.theme === theme) return
  root.dataset.theme = theme
  root.style.colorScheme = theme
  for (const listener of listeners) listener()
}

/**
 * Applies the stored or system theme (before the first render, so the page never flashes),
 * and follows the system's changes while the user has not chosen.
 */
export function initTheme(): void {
  apply(chooseTheme(storedTheme(), prefersDark()))
  if (typeof window.matchMedia !== 'function') return
  window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', (event) => {
    if (!isTheme(storedTheme())) apply(event.matches ? 'dark' : 'light')
  })
}

/** The user's choice: kept for next time. */
export function setTheme(theme: Theme): void {
  try {
    window.localStorage.setItem(THEME_KEY, theme)
  } catch {
    // Storage refused (private mode): the choice lasts for this page only.
  }
  apply(theme)
}

export function subscribeTheme(listener: () => void): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}
