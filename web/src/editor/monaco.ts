/**
 * Monaco, bundled from npm (never a CDN): the editor core with all editor features, the
 * syntax definitions of the languages `languageForPath` can answer, the CSS / HTML / JSON /
 * TypeScript language services, and their web workers built by Vite (`?worker` imports).
 */

import * as monaco from 'monaco-editor/editor'
import 'monaco-editor/features/register.all'
import 'monaco-editor/languages/definitions/javascript/register'
import 'monaco-editor/languages/definitions/typescript/register'
import 'monaco-editor/languages/definitions/css/register'
import 'monaco-editor/languages/definitions/html/register'
import 'monaco-editor/languages/definitions/markdown/register'
import 'monaco-editor/languages/definitions/python/register'
import 'monaco-editor/languages/features/css/register'
import 'monaco-editor/languages/features/html/register'
import 'monaco-editor/languages/features/json/register'
import * as ts from 'monaco-editor/languages/features/typescript/register'
import * as jsDefinition from 'monaco-editor/languages/definitions/javascript/javascript'
import * as tsDefinition from 'monaco-editor/languages/definitions/typescript/typescript'

import EditorWorker from 'monaco-editor/editor/editor.worker?worker'
import CssWorker from 'monaco-editor/languages/features/css/css.worker?worker'
import HtmlWorker from 'monaco-editor/languages/features/html/html.worker?worker'
import JsonWorker from 'monaco-editor/languages/features/json/json.worker?worker'
import TsWorker from 'monaco-editor/languages/features/typescript/ts.worker?worker'

declare global {
  interface Window {
    MonacoEnvironment?: { getWorker(workerId: string, label: string): Worker }
  }
}

self.MonacoEnvironment = {
  getWorker(_workerId: string, label: string): Worker {
    switch (label) {
      case 'json':
        return new JsonWorker()
      case 'css':
      case 'scss':
      case 'less':
        return new CssWorker()
      case 'html':
      case 'handlebars':
      case 'razor':
        return new HtmlWorker()
      case 'typescript':
      case 'javascript':
        return new TsWorker()
      default:
        return new EditorWorker()
    }
  },
}

// The TypeScript service's options and the project's files: languageService.ts.

// Read-only copies of TypeScript and JavaScript (the diff views) get the same colours under
// their own language ids, so the TypeScript service neither checks them nor counts them
// among the project's files.
for (const [id, definition] of [
  ['typescript-view', tsDefinition],
  ['javascript-view', jsDefinition],
] as const) {
  monaco.languages.register({ id })
  monaco.languages.setMonarchTokensProvider(id, definition.language)
  monaco.languages.setLanguageConfiguration(id, definition.conf)
}

monaco.editor.defineTheme('tessera-light', {
  base: 'vs',
  inherit: true,
  rules: [],
  colors: {
    'editor.background': '#ffffff',
    'editorLineNumber.foreground': '#b4b9c2',
    'editorLineNumber.activeForeground': '#5b6170',
    'editor.lineHighlightBackground': '#f6f7f9',
    'editorIndentGuide.background1': '#eef0f3',
  },
})

monaco.editor.defineTheme('tessera-dark', {
  base: 'vs-dark',
  inherit: true,
  rules: [],
  colors: {
    'editor.background': '#17171a',
    'editorLineNumber.foreground': '#4b4f5a',
    'editorLineNumber.activeForeground': '#a1a5b0',
    'editor.lineHighlightBackground': '#1f1f24',
    'editorIndentGuide.background1': '#26262b',
  },
})

/** The editor theme for the page's theme. */
export const monacoTheme = (theme: 'light' | 'dark') => (theme === 'dark' ? 'tessera-dark' : 'tessera-light')

/** The language of a read-only copy (diff views): as the file's, but never checked. */
export function viewLanguage(language: string): string {
  if (language === 'typescript') return 'typescript-view'
  if (language === 'javascript') return 'javascript-view'
  return language
}

export { monaco, ts }
