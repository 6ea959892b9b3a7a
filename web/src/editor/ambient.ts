/**
 * Declarations that let the editor's TypeScript service check a project's own code without
 * the packages' type definitions (which are not available offline).
 *
 * The choice: every package the project's package.json lists is declared as an untyped
 * module (`declare module 'react'` and its subpaths), as are Node's built-in modules and the
 * files Vite imports as assets (CSS, images…). Imports of those are `any` — no error, no
 * check — while imports between project files resolve to the real files and are fully
 * checked. An import of a package the project does not list still says "Cannot find
 * module", which is true: Vite would fail on it too. JSX elements are not checked against
 * React's types (there are none), only component props written in the project (`key` is
 * allowed everywhere). Two diagnostics that only say "this package has no types" are
 * ignored (`UNTYPED_PACKAGE_DIAGNOSTICS`): type arguments given to an untyped function
 * (`useState<Todo[]>(…)`) and a type named through an untyped namespace (`React.FormEvent`).
 * Pure: `ambientDeclarations` returns the text of one `.d.ts` file.
 */

const NODE_BUILTINS = [
  'assert', 'buffer', 'child_process', 'crypto', 'events', 'fs', 'fs/promises', 'http', 'https', 'net', 'os',
  'path', 'process', 'querystring', 'readline', 'stream', 'string_decoder', 'timers', 'tls', 'url', 'util',
  'worker_threads', 'zlib',
]

const ASSET_PATTERNS = [
  '*.css', '*.scss', '*.sass', '*.less', '*.svg', '*.png', '*.jpg', '*.jpeg', '*.gif', '*.webp', '*.avif', '*.ico',
  '*.bmp', '*.woff', '*.woff2', '*.ttf', '*.otf', '*.mp3', '*.mp4', '*.webm', '*.wav', '*.txt', '*.md',
  '*?raw', '*?url', '*?inline', '*?worker',
]

/** The names of every dependency a package.json lists (all sections), or [] when unreadable. */
export function dependencyNames(packageJson: string | null): string[] {
  if (!packageJson) return []
  let parsed: unknown
  try {
    parsed = JSON.parse(packageJson)
  } catch {
    return []
  }
  if (typeof parsed !== 'object' || parsed === null) return []
  const names = new Set<string>()
  for (const section of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
    const deps = (parsed as Record<string, unknown>)[section]
    if (typeof deps !== 'object' || deps === null) continue
    for (const name of Object.keys(deps)) if (/^(@[a-z0-9._~-]+\/)?[a-z0-9._~-]+$/i.test(name)) names.add(name)
  }
  return [...names].sort()
}

const moduleLine = (name: string) => `declare module ${JSON.stringify(name)};`

/** The `.d.ts` text for a project whose package.json is `packageJson` (null: none). */
export function ambientDeclarations(packageJson: string | null): string {
  const lines = ['// Untyped modules: the project\'s packages, Node\'s modules, assets (see editor/ambient.ts).']
  for (const name of dependencyNames(packageJson)) lines.push(moduleLine(name), moduleLine(`${name}/*`))
  for (const name of NODE_BUILTINS) lines.push(moduleLine(name))
  lines.push(moduleLine('node:*'))
  for (const pattern of ASSET_PATTERNS) lines.push(moduleLine(pattern))
  // Vite's `import.meta.env` and `import.meta.hot`.
  lines.push('interface ImportMetaEnv { readonly [key: string]: any }')
  lines.push('interface ImportMeta { readonly env: ImportMetaEnv; readonly hot?: any; glob(pattern: string | string[], options?: any): Record<string, any> }')
  // React's `key` is allowed on every element and component, as React's own types say.
  lines.push('declare namespace JSX { interface IntrinsicAttributes { key?: string | number | bigint | null } }')
  return `${lines.join('\n')}\n`
}

/** TS2347 "Untyped function calls may not accept type arguments", TS2709 "Cannot use
 * namespace … as a type": both only mean that a package (React) has no types here. */
export const UNTYPED_PACKAGE_DIAGNOSTICS = [2347, 2709]
