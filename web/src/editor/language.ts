/**
 * The Monaco language of a file, from its extension (case-insensitive).
 * Pure: no Monaco import, so that it can be unit-tested under plain Node.
 */

const BY_EXTENSION: Readonly<Record<string, string>> = {
  js: 'javascript',
  jsx: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  ts: 'typescript',
  tsx: 'typescript',
  mts: 'typescript',
  cts: 'typescript',
  css: 'css',
  html: 'html',
  htm: 'html',
  json: 'json',
  md: 'markdown',
  py: 'python',
}

export function languageForPath(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1)
  const dot = name.lastIndexOf('.')
  // No extension, or a dotfile such as ".gitignore".
  if (dot <= 0) return 'plaintext'
  return BY_EXTENSION[name.slice(dot + 1).toLowerCase()] ?? 'plaintext'
}
