/**
 * A small wrapper around one Monaco editor with one model per file.
 *
 * The workspace state holds every file's buffer; this component keeps the models in step:
 * a buffer that only grew (a file being streamed) is appended at the end of its model, so
 * the editor grows smoothly instead of being redrawn; anything else replaces the model's
 * text as one undoable edit. Typing calls `onChange`; the component's own edits do not.
 */

import { useEffect, useRef } from 'react'

import { languageForPath } from './language'
import { monaco } from './monaco'

declare global {
  interface Window {
    /**
     * Test hook for end-to-end tests (Playwright): the live editor instance and the
     * monaco namespace, e.g. `window.__tessera.editor.getValue()`.
     */
    __tessera?: { editor: monaco.editor.IStandaloneCodeEditor; monaco: typeof monaco }
  }
}

export interface CodeEditorProps {
  /** The open file, or null for none. */
  path: string | null
  /** Its buffer; null while it is loading. */
  content: string | null
  /** Every file that exists: models of the others are disposed. */
  paths: readonly string[]
  readOnly: boolean
  /** Keep the end of the file in view (the file is being written). */
  follow: boolean
  onChange: (path: string, content: string) => void
}

const uriFor = (path: string) => monaco.Uri.from({ scheme: 'file', path: `/${path}` })

export function CodeEditor({ path, content, paths, readOnly, follow, onChange }: CodeEditorProps) {
  const containerRef = useRef<HTMLDivElement>(null)
  const editorRef = useRef<monaco.editor.IStandaloneCodeEditor | null>(null)
  const modelsRef = useRef(new Map<string, monaco.editor.ITextModel>())
  const viewStatesRef = useRef(new Map<string, monaco.editor.ICodeEditorViewState | null>())
  const applyingRef = useRef(false)
  const pathRef = useRef<string | null>(null)
  const onChangeRef = useRef(onChange)
  useEffect(() => {
    onChangeRef.current = onChange
  })

  // Create the editor once.
  useEffect(() => {
    const container = containerRef.current
    if (!container) return
    const editor = monaco.editor.create(container, {
      model: null,
      theme: 'tessera-light',
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
    window.__tessera = { editor, monaco }
    const models = modelsRef.current
    const subscription = editor.onDidChangeModelContent(() => {
      if (applyingRef.current) return
      const model = editor.getModel()
      const current = pathRef.current
      if (model && current) onChangeRef.current(current, model.getValue())
    })
    return () => {
      subscription.dispose()
      editor.dispose()
      for (const model of models.values()) model.dispose()
      models.clear()
      editorRef.current = null
      if (window.__tessera?.editor === editor) delete window.__tessera
    }
  }, [])

  useEffect(() => {
    editorRef.current?.updateOptions({
      readOnly,
      readOnlyMessage: { value: 'Editing is paused while the app is being generated.' },
    })
  }, [readOnly])

  // Show the open file, and bring its model up to date with the buffer.
  useEffect(() => {
    const editor = editorRef.current
    if (!editor) return
    const models = modelsRef.current
    if (path === null || content === null) {
      if (pathRef.current && editor.getModel()) viewStatesRef.current.set(pathRef.current, editor.saveViewState())
      pathRef.current = null
      editor.setModel(null)
      return
    }
    let model = models.get(path)
    if (!model || model.isDisposed()) {
      const uri = uriFor(path)
      model = monaco.editor.getModel(uri) ?? monaco.editor.createModel(normalizeEol(content), languageForPath(path), uri)
      model.setEOL(monaco.editor.EndOfLineSequence.LF)
      models.set(path, model)
    }
    applyingRef.current = true
    try {
      syncModel(model, content)
      if (editor.getModel() !== model) {
        if (pathRef.current && editor.getModel()) viewStatesRef.current.set(pathRef.current, editor.saveViewState())
        pathRef.current = path
        editor.setModel(model)
        const viewState = viewStatesRef.current.get(path)
        if (viewState && !follow) editor.restoreViewState(viewState)
      }
    } finally {
      applyingRef.current = false
    }
    if (follow) editor.revealLine(model.getLineCount(), monaco.editor.ScrollType.Immediate)
  }, [path, content, follow])

  // Dispose the models of files that no longer exist.
  useEffect(() => {
    const existing = new Set(paths)
    for (const [modelPath, model] of modelsRef.current) {
      if (!existing.has(modelPath) && modelPath !== pathRef.current) {
        model.dispose()
        modelsRef.current.delete(modelPath)
        viewStatesRef.current.delete(modelPath)
      }
    }
  }, [paths])

  return (
    <div className="editor-host">
      <div ref={containerRef} className="editor" data-testid="editor" data-path={path ?? ''} />
      {path !== null && content === null && <div className="editor-overlay">Loading {path}…</div>}
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
