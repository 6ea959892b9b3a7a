/**
 * One Monaco editor over a model per project file.
 *
 * Every file whose content is loaded has a model at `file:///<path>` (the TypeScript service
 * sees them all: `languageService.ts`); the editor shows the open one. The workspace state
 * holds every buffer; this component keeps the models in step: a buffer that only grew (a
 * file being streamed) is appended at the end of its model, so the editor grows smoothly
 * instead of being redrawn; anything else replaces the model's text as one undoable edit.
 * Typing calls `onChange`; the component's own edits do not.
 */

import { useEffect, useRef } from 'react'

import type { FileEntry } from '../state/workspace'
import { useTheme } from '../state/useTheme'
import { languageForPath } from './language'
import { configureLanguageService, markersOf, scheduleModelSync, setPackageJson } from './languageService'
import { monaco, monacoTheme } from './monaco'

declare global {
  interface Window {
    /**
     * Test hook for end-to-end tests (Playwright): the live editor instance, the monaco
     * namespace and the markers (errors, warnings) of the open file, e.g.
     * `window.__tessera.editor.getValue()`, `window.__tessera.markers()`.
     */
    __tessera?: {
      editor: monaco.editor.IStandaloneCodeEditor
      monaco: typeof monaco
      markers: () => monaco.editor.IMarker[]
      /** The diff editor while a comparison is shown. */
      diff?: monaco.editor.IStandaloneDiffEditor
    }
  }
}

export interface CodeEditorProps {
  /** The open file, or null for none. */
  path: string | null
  /** Every file: loaded ones get a model; models of files that no longer exist are disposed. */
  files: Readonly<Record<string, FileEntry>>
  readOnly: boolean
  /** Keep the end of the file in view (the file is being written). */
  follow: boolean
  onChange: (path: string, content: string) => void
}

export const uriFor = (path: string) => monaco.Uri.from({ scheme: 'file', path: `/${path}` })

export function CodeEditor({ path, files, readOnly, follow, onChange }: CodeEditorProps) {
  const containerRef = useRef<HTMLDivElement>(null)
  const editorRef = useRef<monaco.editor.IStandaloneCodeEditor | null>(null)
  const modelsRef = useRef(new Map<string, monaco.editor.ITextModel>())
  /** The buffer each model was last brought up to (compared by identity: cheap). */
  const syncedRef = useRef(new Map<string, string>())
  const viewStatesRef = useRef(new Map<string, monaco.editor.ICodeEditorViewState | null>())
  const applyingRef = useRef(false)
  const pathRef = useRef<string | null>(null)
  const onChangeRef = useRef(onChange)
  const theme = useTheme()
  useEffect(() => {
    onChangeRef.current = onChange
  })

  // Create the editor once.
  useEffect(() => {
    const container = containerRef.current
    if (!container) return
    configureLanguageService()
    const editor = monaco.editor.create(container, {
      model: null,
      theme: monacoTheme(theme),
      automaticLayout: true,
      fontFamily: 'ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace',
      fontSize: 13,
      lineHeight: 20,
      tabSize: 2,
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      padding: { top: 10, bottom: 10 },
      renderLineHighlight: 'line',
      overviewRulerBorder: false,
      scrollbar: { verticalScrollbarSize: 10, horizontalScrollbarSize: 10 },
      stickyScroll: { enabled: false },
    })
    editorRef.current = editor
    window.__tessera = {
      editor,
      monaco,
      markers: () => {
        const model = editor.getModel()
        return model ? markersOf(model.uri) : []
      },
    }
    const models = modelsRef.current
    const synced = syncedRef.current
    const subscription = editor.onDidChangeModelContent(() => {
      if (applyingRef.current) return
      const model = editor.getModel()
      const current = pathRef.current
      if (!model || !current) return
      const value = model.getValue()
      synced.set(current, value)
      onChangeRef.current(current, value)
    })
    return () => {
      subscription.dispose()
      editor.dispose()
      for (const model of models.values()) model.dispose()
      models.clear()
      synced.clear()
      editorRef.current = null
      if (window.__tessera?.editor === editor) delete window.__tessera
    }
    // Created once; the theme is followed by the effect below.
  }, [])

  useEffect(() => {
    monaco.editor.setTheme(monacoTheme(theme))
  }, [theme])

  useEffect(() => {
    editorRef.current?.updateOptions({
      readOnly,
      readOnlyMessage: { value: 'Editing is paused while the app is being generated.' },
    })
  }, [readOnly])

  // Bring every model up to date with its buffer, then show the open file.
  useEffect(() => {
    const editor = editorRef.current
    if (!editor) return
    const models = modelsRef.current
    const synced = syncedRef.current
    let changedSet = false
    applyingRef.current = true
    try {
      for (const entry of Object.values(files)) {
        if (entry.content === null || synced.get(entry.path) === entry.content) continue
        const model = models.get(entry.path)
        if (model && !model.isDisposed()) syncModel(model, entry.content)
        else {
          const uri = uriFor(entry.path)
          const created = monaco.editor.getModel(uri) ?? monaco.editor.createModel(normalizeEol(entry.content), languageForPath(entry.path), uri)
          created.setEOL(monaco.editor.EndOfLineSequence.LF)
          syncModel(created, entry.content)
          models.set(entry.path, created)
          changedSet = true
        }
        synced.set(entry.path, entry.content)
      }

      const model = path !== null && files[path]?.content != null ? models.get(path) : undefined
      if (!model) {
        if (pathRef.current && editor.getModel()) viewStatesRef.current.set(pathRef.current, editor.saveViewState())
        pathRef.current = null
        editor.setModel(null)
      } else if (editor.getModel() !== model) {
        if (pathRef.current && editor.getModel()) viewStatesRef.current.set(pathRef.current, editor.saveViewState())
        pathRef.current = path
        editor.setModel(model)
        const viewState = viewStatesRef.current.get(path as string)
        if (viewState && !follow) editor.restoreViewState(viewState)
      }

      // Models of files that no longer exist.
      for (const [modelPath, stale] of models) {
        if (modelPath in files) continue
        stale.dispose()
        models.delete(modelPath)
        synced.delete(modelPath)
        viewStatesRef.current.delete(modelPath)
        changedSet = true
      }
    } finally {
      applyingRef.current = false
    }
    const open = editor.getModel()
    if (follow && open) editor.revealLine(open.getLineCount(), monaco.editor.ScrollType.Immediate)
    if (changedSet) scheduleModelSync()
    setPackageJson(files['package.json']?.content ?? null)
  }, [files, path, follow])

  const loading = path !== null && files[path]?.content == null
  return (
    <div className="editor-host">
      <div ref={containerRef} className="editor" data-testid="editor" data-path={path ?? ''} />
      {loading && <div className="editor-overlay">Loading {path}…</div>}
      {path === null && <div className="editor-overlay">No file open</div>}
    </div>
  )
}

/** Models always use "\n"; buffers are compared in that form. */
function normalizeEol(text: string): string {
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text
}

function syncModel(model: monaco.editor.ITextModel, buffer: string): void {
  const content = normalizeEol(buffer)
  const current = model.getValue()
  if (current === content) return
  if (content.length > current.length && content.startsWith(current)) {
    const end = model.getFullModelRange().getEndPosition()
    model.applyEdits([
      { range: monaco.Range.fromPositions(end, end), text: content.slice(current.length), forceMoveMarkers: true },
    ])
    return
  }
  model.pushEditOperations([], [{ range: model.getFullModelRange(), text: content }], () => null)
}
