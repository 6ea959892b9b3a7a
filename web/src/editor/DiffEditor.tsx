/**
 * Monaco's diff editor over one file's two contents (read-only). The models are the
 * diff's own (`inmemory://diff/…`, a language the TypeScript service ignores), so they are
 * neither checked nor mistaken for project files. A side that only grew (the file being
 * written by a run) is appended to, so a live diff updates without flicker.
 */

import { useEffect, useRef } from 'react'

import { useTheme } from '../state/useTheme'
import { languageForPath } from './language'
import { monaco, monacoTheme, viewLanguage } from './monaco'

interface Props {
  path: string
  /** Null: the file does not exist on that side (shown empty). */
  before: string | null
  after: string | null
}

let counter = 0

export function DiffEditor({ path, before, after }: Props) {
  const containerRef = useRef<HTMLDivElement>(null)
  const editorRef = useRef<monaco.editor.IStandaloneDiffEditor | null>(null)
  const modelsRef = useRef<{ path: string; original: monaco.editor.ITextModel; modified: monaco.editor.ITextModel } | null>(
    null,
  )
  const theme = useTheme()

  useEffect(() => {
    const container = containerRef.current
    if (!container) return
    const editor = monaco.editor.createDiffEditor(container, {
      readOnly: true,
      originalEditable: false,
      automaticLayout: true,
      renderSideBySide: true,
      useInlineViewWhenSpaceIsLimited: true,
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      fontSize: 12,
      lineHeight: 18,
      fontFamily: 'ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace',
      renderOverviewRuler: true,
      stickyScroll: { enabled: false },
    })
    editorRef.current = editor
    if (window.__tessera) window.__tessera.diff = editor
    return () => {
      if (window.__tessera?.diff === editor) delete window.__tessera.diff
      editor.dispose()
      modelsRef.current?.original.dispose()
      modelsRef.current?.modified.dispose()
      modelsRef.current = null
      editorRef.current = null
    }
  }, [])

  useEffect(() => {
    monaco.editor.setTheme(monacoTheme(theme))
  }, [theme])

  // Another file: new models. The same file: its contents follow.
  useEffect(() => {
    const editor = editorRef.current
    if (!editor) return
    const current = modelsRef.current
    if (current && current.path === path) {
      update(current.original, before ?? '')
      update(current.modified, after ?? '')
      return
    }
    counter += 1
    const language = viewLanguage(languageForPath(path))
    const make = (side: string, text: string) =>
      monaco.editor.createModel(lf(text), language, monaco.Uri.from({ scheme: 'inmemory', authority: 'diff', path: `/${counter}/${side}/${path}` }))
    const models = { path, original: make('before', before ?? ''), modified: make('after', after ?? '') }
    editor.setModel({ original: models.original, modified: models.modified })
    current?.original.dispose()
    current?.modified.dispose()
    modelsRef.current = models
  }, [path, before, after])

  return <div ref={containerRef} className="diff-editor" data-testid="diff-editor" data-path={path} />
}

const lf = (text: string) => (text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text)

function update(model: monaco.editor.ITextModel, raw: string): void {
  const text = lf(raw)
  const current = model.getValue()
  if (current === text) return
  if (text.length > current.length && text.startsWith(current)) {
    const end = model.getFullModelRange().getEndPosition()
    model.applyEdits([{ range: monaco.Range.fromPositions(end, end), text: text.slice(current.length) }])
    return
  }
  model.setValue(text)
}
