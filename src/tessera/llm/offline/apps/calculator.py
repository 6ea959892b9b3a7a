"""A calculator: the four operations, percent, sign, backspace and keyboard input."""

# The embedded TypeScript and CSS follow their own conventions (line length, symbols).
# ruff: noqa: E501, RUF001

from __future__ import annotations

from tessera.llm.offline.apps.base import AppInfo, AppSpec, jsx_text, marker
from tessera.llm.offline.apps.common import scaffold, theme_css

INFO = AppInfo(
    kind="calculator",
    default_title="Calculator",
    noun="a calculator",
    description="A pocket calculator that also works from the keyboard.",
    category="utility",
    pitch="with the four operations, percent and sign keys, and keyboard support",
    tweaks='rename it, change its colour ("make it orange") or switch to dark mode',
)

CALCULATOR_TS = """\
export type Operator = '+' | '-' | '*' | '/'

export type State = {
  display: string
  stored: number | null
  operator: Operator | null
  fresh: boolean
}

export type Action =
  | { type: 'digit'; digit: string }
  | { type: 'dot' }
  | { type: 'operator'; operator: Operator }
  | { type: 'equals' }
  | { type: 'clear' }
  | { type: 'sign' }
  | { type: 'percent' }
  | { type: 'backspace' }

export const SYMBOLS: Record<Operator, string> = { '+': '+', '-': '−', '*': '×', '/': '÷' }

export const initialState: State = { display: '0', stored: null, operator: null, fresh: false }

function format(value: number): string {
  if (!Number.isFinite(value)) return 'Error'
  return String(parseFloat(value.toPrecision(12)))
}

function compute(left: number, right: number, operator: Operator): number {
  switch (operator) {
    case '+':
      return left + right
    case '-':
      return left - right
    case '*':
      return left * right
    case '/':
      return right === 0 ? Number.NaN : left / right
  }
}

export function reducer(state: State, action: Action): State {
  const current = state.display === 'Error' ? 0 : Number(state.display)
  switch (action.type) {
    case 'digit': {
      if (state.fresh || state.display === '0' || state.display === 'Error') {
        return { ...state, display: action.digit, fresh: false }
      }
      if (state.display.replace(/[-.]/g, '').length >= 12) return state
      return { ...state, display: state.display + action.digit }
    }
    case 'dot': {
      if (state.fresh || state.display === 'Error') return { ...state, display: '0.', fresh: false }
      if (state.display.includes('.')) return state
      return { ...state, display: state.display + '.' }
    }
    case 'operator': {
      if (state.operator !== null && state.stored !== null && !state.fresh) {
        const result = compute(state.stored, current, state.operator)
        return { display: format(result), stored: result, operator: action.operator, fresh: true }
      }
      return { ...state, stored: current, operator: action.operator, fresh: true }
    }
    case 'equals': {
      if (state.operator === null || state.stored === null) return state
      const result = compute(state.stored, current, state.operator)
      return { display: format(result), stored: null, operator: null, fresh: true }
    }
    case 'clear':
      return initialState
    case 'sign':
      return { ...state, display: format(-current) }
    case 'percent':
      return { ...state, display: format(current / 100) }
    case 'backspace': {
      if (state.fresh || state.display === 'Error') return { ...state, display: '0', fresh: false }
      const shorter = state.display.slice(0, -1)
      return { ...state, display: shorter === '' || shorter === '-' ? '0' : shorter }
    }
  }
}

// Maps a keyboard key to a calculator action, if it is one.
export function keyAction(key: string): Action | null {
  if (/^[0-9]$/.test(key)) return { type: 'digit', digit: key }
  if (key === '.' || key === ',') return { type: 'dot' }
  if (key === '+' || key === '-' || key === '*' || key === '/') return { type: 'operator', operator: key }
  if (key === 'Enter' || key === '=') return { type: 'equals' }
  if (key === 'Escape') return { type: 'clear' }
  if (key === 'Backspace') return { type: 'backspace' }
  if (key === '%') return { type: 'percent' }
  return null
}
"""

KEYPAD_TSX = """\
import type { Action, Operator } from '../calculator'
import { SYMBOLS } from '../calculator'

type Key = { label: string; action: Action; kind?: 'operator' | 'function' | 'equals'; wide?: boolean; name?: string }

const operator = (value: Operator, name: string): Key => ({
  label: SYMBOLS[value],
  action: { type: 'operator', operator: value },
  kind: 'operator',
  name,
})

const digit = (value: string): Key => ({ label: value, action: { type: 'digit', digit: value } })

const KEYS: Key[] = [
  { label: 'C', action: { type: 'clear' }, kind: 'function', name: 'Clear' },
  { label: '±', action: { type: 'sign' }, kind: 'function', name: 'Change sign' },
  { label: '%', action: { type: 'percent' }, kind: 'function', name: 'Percent' },
  operator('/', 'Divide'),
  digit('7'),
  digit('8'),
  digit('9'),
  operator('*', 'Multiply'),
  digit('4'),
  digit('5'),
  digit('6'),
  operator('-', 'Subtract'),
  digit('1'),
  digit('2'),
  digit('3'),
  operator('+', 'Add'),
  { ...digit('0'), wide: true },
  { label: '.', action: { type: 'dot' }, name: 'Decimal point' },
  { label: '=', action: { type: 'equals' }, kind: 'equals', name: 'Equals' },
]

type Props = {
  activeOperator: Operator | null
  onPress: (action: Action) => void
}

export default function Keypad({ activeOperator, onPress }: Props) {
  return (
    <div className="keypad">
      {KEYS.map((key) => {
        const active = key.action.type === 'operator' && key.action.operator === activeOperator
        const classes = ['key', key.kind ?? 'digit', key.wide ? 'wide' : '', active ? 'active' : '']
        return (
          <button
            key={key.label}
            type="button"
            className={classes.filter(Boolean).join(' ')}
            aria-label={key.name ?? key.label}
            onClick={() => onPress(key.action)}
          >
            {key.label}
          </button>
        )
      })}
    </div>
  )
}
"""


def app_tsx(spec: AppSpec) -> str:
    return f"""\
{marker("calculator")}
import {{ useEffect, useReducer }} from 'react'
import './App.css'
import Keypad from './components/Keypad'
import {{ SYMBOLS, initialState, keyAction, reducer }} from './calculator'

export default function App() {{
  const [state, dispatch] = useReducer(reducer, initialState)

  useEffect(() => {{
    function onKeyDown(event: KeyboardEvent) {{
      const action = keyAction(event.key)
      if (action === null) return
      event.preventDefault()
      dispatch(action)
    }}
    window.addEventListener('keydown', onKeyDown)
    return () => window.removeEventListener('keydown', onKeyDown)
  }}, [])

  return (
    <main className="app narrow">
      <header className="app-header">
        <h1>{jsx_text(spec.title)}</h1>
        <p>Click the keys or type on your keyboard.</p>
      </header>

      <section className="card calculator">
        <div className="screen" aria-live="polite">
          <div className="expression">
            {{state.stored !== null && state.operator !== null ? `${{state.stored}} ${{SYMBOLS[state.operator]}}` : '\\u00a0'}}
          </div>
          <output className="display" aria-label="Display">
            {{state.display}}
          </output>
        </div>
        <Keypad activeOperator={{state.fresh ? state.operator : null}} onPress={{dispatch}} />
      </section>
    </main>
  )
}}
"""


APP_CSS = """
.app.narrow {
  max-width: 380px;
}

.calculator {
  padding: 20px;
}

.screen {
  background: var(--bg);
  border: 1px solid var(--border);
  border-radius: 12px;
  padding: 14px 16px;
  margin-bottom: 16px;
  text-align: right;
  font-variant-numeric: tabular-nums;
}

.expression {
  color: var(--muted);
  font-size: 0.95rem;
  min-height: 1.4em;
}

.display {
  display: block;
  font-size: 2.6rem;
  font-weight: 700;
  overflow-wrap: anywhere;
  line-height: 1.15;
}

.keypad {
  display: grid;
  grid-template-columns: repeat(4, 1fr);
  gap: 10px;
}

button.key {
  padding: 16px 0;
  font-size: 1.25rem;
  border-radius: 12px;
}

button.key.digit {
  background: var(--bg);
  color: var(--text);
  border-color: var(--border);
}

button.key.function {
  background: color-mix(in srgb, var(--muted) 18%, var(--surface));
  color: var(--text);
}

button.key.operator {
  background: color-mix(in srgb, var(--accent) 16%, var(--surface));
  color: var(--accent);
}

button.key.operator.active {
  background: var(--accent);
  color: var(--accent-contrast);
}

button.key.equals {
  background: var(--accent);
  color: var(--accent-contrast);
}

button.key.wide {
  grid-column: span 2;
}
"""


def files(spec: AppSpec) -> dict[str, str]:
    return {
        **scaffold(spec),
        "src/calculator.ts": CALCULATOR_TS,
        "src/components/Keypad.tsx": KEYPAD_TSX,
        "src/App.css": theme_css(spec) + APP_CSS,
        "src/App.tsx": app_tsx(spec),
    }
