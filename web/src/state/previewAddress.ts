/**
 * The preview's address bar: the user types a path inside the app ("/about?x=1"); the
 * iframe goes to the preview's origin + that path. Pure.
 */

/** "about" → "/about"; a whole URL keeps only its path, query and fragment; "" → "/". */
export function normalizeAppPath(input: string): string {
  const text = input.trim()
  if (!text) return '/'
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    try {
      const url = new URL(text)
      return `${url.pathname || '/'}${url.search}${url.hash}`
    } catch {
      return '/'
    }
  }
  return text.startsWith('/') ? text : `/${text}`
}

/**
 * The URL the iframe shows for `path` on the preview at `base` (any URL of the preview's
 * origin). Only the path is the user's: the origin is always the preview's.
 */
export function previewTarget(base: string, path: string): string {
  let origin: string
  try {
    origin = new URL(base).origin
  } catch {
    return base
  }
  return `${origin}${normalizeAppPath(path)}`
}

/** "5173-abc.localhost:8000" for the address bar; the URL itself when it is not one. */
export function hostOf(url: string): string {
  try {
    return new URL(url).host
  } catch {
    return url
  }
}

/** The path part of a preview URL, as the address bar shows it. */
export function appPathOf(url: string): string {
  try {
    const parsed = new URL(url)
    return `${parsed.pathname || '/'}${parsed.search}${parsed.hash}`
  } catch {
    return '/'
  }
}

export type Device = 'mobile' | 'tablet' | 'desktop'

/** The preview's width for each device; null: the whole pane. */
export const DEVICE_WIDTHS: Record<Device, number | null> = { mobile: 375, tablet: 768, desktop: null }

export function isDevice(value: string | null): value is Device {
  return value === 'mobile' || value === 'tablet' || value === 'desktop'
}
