/**
 * Monaco's TypeScript/JavaScript service over the project's files: every project file has
 * a model at `file:///<path>`, all of them are synced to the TypeScript and JavaScript
 * workers (so imports between project files resolve and types flow across them), and the
 * open file's diagnostics show as markers. Packages get untyped declarations
 * (`ambient.ts` says why). Only the open file is checked (`onlyVisible`), so a project of
 * hundreds of files costs one file's check per change.
 */

import { UNTYPED_PACKAGE_DIAGNOSTICS, ambientDeclarations } from './ambient'
import { monaco, ts } from './monaco'

const AMBIENT_LIB = 'file:///node_modules/@types/tessera-ambient/index.d.ts'

/** Compiler options of a Vite + React project (`moduleResolution: bundler` = 100). */
const compilerOptions: ts.CompilerOptions = {
  target: 9 as ts.ScriptTarget, // ES2022
  module: ts.ModuleKind.ESNext,
  moduleResolution: 100 as ts.ModuleResolutionKind, // Bundler
  jsx: ts.JsxEmit.ReactJSX,
  allowJs: true,
  allowNonTsExtensions: true,
  allowImportingTsExtensions: true,
  resolveJsonModule: true,
  esModuleInterop: true,
  isolatedModules: true,
  noEmit: true,
  // Off: without React's types every JSX element is `any`, and strict mode would flag each one.
  strict: false,
  skipLibCheck: true,
}

let configured = false
let ambientText: string | null = null
let packageJsonSeen: string | null | undefined

/** Sets the compiler and diagnostics options once. */
export function configureLanguageService(): void {
  if (configured) return
  configured = true
  for (const defaults of [ts.typescriptDefaults, ts.javascriptDefaults]) {
    defaults.setCompilerOptions(compilerOptions)
    defaults.setDiagnosticsOptions({
      noSemanticValidation: false,
      noSyntaxValidation: false,
      noSuggestionDiagnostics: true,
      onlyVisible: true,
      diagnosticCodesToIgnore: UNTYPED_PACKAGE_DIAGNOSTICS,
    })
    defaults.setEagerModelSync(true)
  }
  setPackageJson(null)
}

/** The project's package.json changed: its packages are declared again. */
export function setPackageJson(packageJson: string | null): void {
  if (packageJson === packageJsonSeen) return
  packageJsonSeen = packageJson
  const text = ambientDeclarations(packageJson)
  if (text === ambientText) return
  ambientText = text
  refreshDiagnostics()
}

/** Re-checks the open file (its imports may have just become known): setting the extra libs
 * again makes the service recompute the visible models' diagnostics. */
function refreshDiagnostics(): void {
  const libs = [{ content: ambientText ?? '', filePath: AMBIENT_LIB }]
  ts.typescriptDefaults.setExtraLibs(libs)
  ts.javascriptDefaults.setExtraLibs(libs)
}

const isScript = (model: monaco.editor.ITextModel) =>
  model.uri.scheme === 'file' && ['typescript', 'javascript'].includes(model.getLanguageId())

let syncTimer: number | null = null

/**
 * Syncs every project script model to both workers (a TypeScript file may import a
 * JavaScript one and the other way round), then re-checks the open file. Debounced: files
 * arrive in batches while the project loads.
 */
export function scheduleModelSync(): void {
  if (syncTimer !== null) window.clearTimeout(syncTimer)
  syncTimer = window.setTimeout(() => {
    syncTimer = null
    void syncModels()
  }, 150)
}

async function syncModels(): Promise<void> {
  const models = monaco.editor.getModels().filter(isScript)
  const uris = models.map((m) => m.uri)
  const languages = new Set(models.map((m) => m.getLanguageId()))
  const workers: Promise<unknown>[] = []
  // A language's worker exists only once a model of it was created.
  if (languages.has('typescript')) workers.push(ts.getTypeScriptWorker().then((get) => get(...uris)))
  if (languages.has('javascript')) workers.push(ts.getJavaScriptWorker().then((get) => get(...uris)))
  await Promise.allSettled(workers)
  refreshDiagnostics()
}

/** The markers of one file (errors and warnings shown in the editor). */
export function markersOf(uri: monaco.Uri): monaco.editor.IMarker[] {
  return monaco.editor.getModelMarkers({ resource: uri })
}
