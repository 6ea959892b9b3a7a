"""A counter: increase, decrease and reset by a chosen step, with a short history."""

# The embedded TypeScript and CSS follow their own conventions (line length, symbols).
# ruff: noqa: E501, RUF001

from __future__ import annotations

from tessera.llm.offline.apps.base import AppInfo, AppSpec, jsx_text, marker
from tessera.llm.offline.apps.common import scaffold, theme_css

INFO = AppInfo(
    kind="counter",
    default_title="Counter",
    noun="a counter",
    description="A click counter with an adjustable step and a history of recent values.",
    category="utility",
    pitch="with buttons to count up and down by a step you choose, and a reset",
    tweaks='rename it, change its colour ("make it orange") or switch to dark mode',
)


def app_tsx(spec: AppSpec) -> str:
    return f"""\
{marker("counter")}
import {{ useState }} from 'react'
import './App.css'

const STEPS = [1, 5, 10]
const HISTORY_LENGTH = 8

export default function App() {{
  const [count, setCount] = useState(0)
  const [step, setStep] = useState(1)
  const [history, setHistory] = useState<number[]>([])

  function change(next: number) {{
    setHistory((current) => [count, ...current].slice(0, HISTORY_LENGTH))
    setCount(next)
  }}

  return (
    <main className="app">
      <header className="app-header">
        <h1>{jsx_text(spec.title)}</h1>
        <p>Count anything, one click at a time.</p>
      </header>

      <section className="card counter">
        <output className={{count < 0 ? 'count negative' : 'count'}} aria-live="polite" aria-label="Current count">
          {{count}}
        </output>

        <div className="controls">
          <button type="button" className="secondary" onClick={{() => change(count - step)}} aria-label={{`Decrease by ${{step}}`}}>
            −{{step}}
          </button>
          <button type="button" onClick={{() => change(count + step)}} aria-label={{`Increase by ${{step}}`}}>
            +{{step}}
          </button>
        </div>

        <div className="steps" role="group" aria-label="Step">
          <span>Step</span>
          {{STEPS.map((value) => (
            <button
              key={{value}}
              type="button"
              className={{value === step ? 'chip active' : 'chip'}}
              aria-pressed={{value === step}}
              onClick={{() => setStep(value)}}
            >
              {{value}}
            </button>
          ))}}
        </div>

        <button type="button" className="ghost" onClick={{() => change(0)}} disabled={{count === 0}}>
          Reset
        </button>

        {{history.length > 0 && (
          <p className="history">
            Before: {{history.join(' → ')}}
          </p>
        )}}
      </section>
    </main>
  )
}}
"""


APP_CSS = """
.counter {
  display: flex;
  flex-direction: column;
  align-items: center;
  gap: 20px;
  text-align: center;
}

.count {
  font-size: 5rem;
  font-weight: 800;
  line-height: 1;
  letter-spacing: -0.04em;
  color: var(--accent);
  font-variant-numeric: tabular-nums;
}

.count.negative {
  color: var(--danger);
}

.controls {
  display: flex;
  gap: 12px;
}

.controls button {
  min-width: 96px;
  font-size: 1.25rem;
}

.steps {
  display: flex;
  align-items: center;
  gap: 6px;
  color: var(--muted);
}

button.chip {
  background: transparent;
  color: var(--muted);
  border-color: var(--border);
  padding: 4px 14px;
  border-radius: 999px;
  font-weight: 500;
}

button.chip.active {
  background: color-mix(in srgb, var(--accent) 14%, transparent);
  color: var(--accent);
  border-color: color-mix(in srgb, var(--accent) 40%, transparent);
}

.history {
  margin: 0;
  color: var(--muted);
  font-size: 0.9rem;
  font-variant-numeric: tabular-nums;
}
"""


def files(spec: AppSpec) -> dict[str, str]:
    return {
        **scaffold(spec),
        "src/App.css": theme_css(spec) + APP_CSS,
        "src/App.tsx": app_tsx(spec),
    }
