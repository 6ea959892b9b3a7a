"""A stopwatch with laps, and a countdown timer, on two tabs.

``spec.variant == "countdown"`` opens the countdown tab first (for "timer" or
"countdown" requests).
"""

from __future__ import annotations

from tessera.llm.offline.apps.base import AppInfo, AppSpec, jsx_text, marker
from tessera.llm.offline.apps.common import scaffold, theme_css

INFO = AppInfo(
    kind="stopwatch",
    default_title="Stopwatch",
    noun="a stopwatch and countdown timer",
    description="A stopwatch with laps and a countdown timer.",
    category="utility",
    pitch="with start, pause, laps and reset, plus a countdown timer on a second tab",
    tweaks='rename it, change its colour ("make it red") or switch to dark mode',
)

TIME_TS = """\
import { useEffect, useState } from 'react'

// The current time, refreshed many times a second while `running` is true.
export function useNow(running: boolean): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    if (!running) return
    setNow(Date.now())
    const id = window.setInterval(() => setNow(Date.now()), 33)
    return () => window.clearInterval(id)
  }, [running])
  return now
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0')
}

// 83_456 ms → "01:23.45"; an hour or more → "1:01:23.45".
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 10))
  const hundredths = total % 100
  const seconds = Math.floor(total / 100) % 60
  const minutes = Math.floor(total / 6000) % 60
  const hours = Math.floor(total / 360000)
  const clock = `${pad(minutes)}:${pad(seconds)}.${pad(hundredths)}`
  return hours > 0 ? `${hours}:${clock}` : clock
}
"""

STOPWATCH_TSX = """\
import { useState } from 'react'
import { formatDuration, useNow } from '../time'

export default function Stopwatch() {
  const [startedAt, setStartedAt] = useState<number | null>(null)
  const [banked, setBanked] = useState(0)
  const [laps, setLaps] = useState<number[]>([])
  const now = useNow(startedAt !== null)
  const elapsed = banked + (startedAt === null ? 0 : Math.max(0, now - startedAt))

  function start() {
    setStartedAt(Date.now())
  }

  function pause() {
    if (startedAt !== null) setBanked(banked + Date.now() - startedAt)
    setStartedAt(null)
  }

  function reset() {
    setStartedAt(null)
    setBanked(0)
    setLaps([])
  }

  function lap() {
    setLaps((current) => [elapsed, ...current])
  }

  const running = startedAt !== null

  return (
    <div className="timer">
      <output className="time" aria-live="off" aria-label="Elapsed time">
        {formatDuration(elapsed)}
      </output>
      <div className="controls">
        {running ? (
          <button type="button" onClick={pause}>
            Pause
          </button>
        ) : (
          <button type="button" onClick={start}>
            {elapsed > 0 ? 'Resume' : 'Start'}
          </button>
        )}
        <button type="button" className="secondary" onClick={lap} disabled={!running}>
          Lap
        </button>
        <button type="button" className="secondary" onClick={reset} disabled={elapsed === 0}>
          Reset
        </button>
      </div>
      {laps.length > 0 && (
        <ol className="laps" reversed>
          {laps.map((time, index) => (
            <li key={laps.length - index}>
              <span>Lap {laps.length - index}</span>
              <span>{formatDuration(time - (laps[index + 1] ?? 0))}</span>
              <span className="muted">{formatDuration(time)}</span>
            </li>
          ))}
        </ol>
      )}
    </div>
  )
}
"""

COUNTDOWN_TSX = """\
import { useEffect, useState } from 'react'
import { formatDuration, useNow } from '../time'

export default function Countdown() {
  const [minutes, setMinutes] = useState(5)
  const [seconds, setSeconds] = useState(0)
  const [left, setLeft] = useState(5 * 60_000)
  const [startedAt, setStartedAt] = useState<number | null>(null)
  const now = useNow(startedAt !== null)
  const running = startedAt !== null
  const remaining = Math.max(0, left - (startedAt === null ? 0 : Math.max(0, now - startedAt)))
  const finished = !running && left === 0

  useEffect(() => {
    if (running && remaining === 0) {
      setStartedAt(null)
      setLeft(0)
    }
  }, [running, remaining])

  function setDuration(nextMinutes: number, nextSeconds: number) {
    const safeMinutes = Math.min(999, Math.max(0, Math.floor(nextMinutes) || 0))
    const safeSeconds = Math.min(59, Math.max(0, Math.floor(nextSeconds) || 0))
    setMinutes(safeMinutes)
    setSeconds(safeSeconds)
    setLeft((safeMinutes * 60 + safeSeconds) * 1000)
  }

  function start() {
    if (left > 0) setStartedAt(Date.now())
  }

  function pause() {
    setLeft(remaining)
    setStartedAt(null)
  }

  function reset() {
    setStartedAt(null)
    setLeft((minutes * 60 + seconds) * 1000)
  }

  return (
    <div className={finished ? 'timer finished' : 'timer'}>
      <output className="time" aria-label="Time left">
        {formatDuration(remaining)}
      </output>
      {finished && <p className="alert" role="status">Time's up!</p>}
      <div className="duration">
        <label>
          Minutes
          <input
            type="number"
            min={0}
            max={999}
            value={minutes}
            disabled={running}
            onChange={(event) => setDuration(Number(event.target.value), seconds)}
            placeholder="5"
            aria-label="Minutes"
          />
        </label>
        <label>
          Seconds
          <input
            type="number"
            min={0}
            max={59}
            value={seconds}
            disabled={running}
            onChange={(event) => setDuration(minutes, Number(event.target.value))}
            placeholder="0"
            aria-label="Seconds"
          />
        </label>
      </div>
      <div className="controls">
        {running ? (
          <button type="button" onClick={pause}>
            Pause
          </button>
        ) : (
          <button type="button" onClick={start} disabled={left === 0}>
            Start
          </button>
        )}
        <button type="button" className="secondary" onClick={reset}>
          Reset
        </button>
      </div>
    </div>
  )
}
"""


def app_tsx(spec: AppSpec) -> str:
    first = "countdown" if spec.variant == "countdown" else "stopwatch"
    return f"""\
{marker("stopwatch")}
import {{ useState }} from 'react'
import './App.css'
import Countdown from './components/Countdown'
import Stopwatch from './components/Stopwatch'

type Mode = 'stopwatch' | 'countdown'

export default function App() {{
  const [mode, setMode] = useState<Mode>('{first}')

  return (
    <main className="app narrow">
      <header className="app-header">
        <h1>{jsx_text(spec.title)}</h1>
        <p>Time anything, down to the hundredth of a second.</p>
      </header>

      <div className="tabs" role="tablist" aria-label="Mode">
        <button
          type="button"
          role="tab"
          aria-selected={{mode === 'stopwatch'}}
          className={{mode === 'stopwatch' ? 'tab active' : 'tab'}}
          onClick={{() => setMode('stopwatch')}}
        >
          Stopwatch
        </button>
        <button
          type="button"
          role="tab"
          aria-selected={{mode === 'countdown'}}
          className={{mode === 'countdown' ? 'tab active' : 'tab'}}
          onClick={{() => setMode('countdown')}}
        >
          Countdown
        </button>
      </div>

      <section className="card">{{mode === 'stopwatch' ? <Stopwatch /> : <Countdown />}}</section>
    </main>
  )
}}
"""


APP_CSS = """
.app.narrow {
  max-width: 480px;
}

.tabs {
  display: flex;
  gap: 6px;
  padding: 4px;
  margin-bottom: 16px;
  background: color-mix(in srgb, var(--muted) 14%, transparent);
  border-radius: 12px;
}

button.tab {
  flex: 1;
  background: transparent;
  color: var(--muted);
  padding: 8px 12px;
}

button.tab.active {
  background: var(--surface);
  color: var(--accent);
  box-shadow: var(--shadow);
}

.timer {
  display: flex;
  flex-direction: column;
  align-items: center;
  gap: 18px;
}

.time {
  font-size: 3.6rem;
  font-weight: 800;
  letter-spacing: -0.02em;
  font-variant-numeric: tabular-nums;
}

.timer.finished .time {
  color: var(--accent);
  animation: pulse 1s ease-in-out infinite;
}

@keyframes pulse {
  50% {
    opacity: 0.4;
  }
}

.alert {
  margin: -8px 0 0;
  font-weight: 700;
  color: var(--accent);
}

.controls {
  display: flex;
  gap: 10px;
}

.controls button {
  min-width: 92px;
}

.duration {
  display: flex;
  gap: 12px;
}

.duration label {
  display: flex;
  flex-direction: column;
  gap: 4px;
  font-size: 0.85rem;
  color: var(--muted);
  width: 110px;
}

.laps {
  list-style: none;
  margin: 0;
  padding: 0;
  width: 100%;
  max-height: 240px;
  overflow-y: auto;
}

.laps li {
  display: grid;
  grid-template-columns: 1fr auto auto;
  gap: 16px;
  padding: 8px 4px;
  border-top: 1px solid var(--border);
  font-variant-numeric: tabular-nums;
}

.muted {
  color: var(--muted);
}
"""


def files(spec: AppSpec) -> dict[str, str]:
    return {
        **scaffold(spec),
        "src/time.ts": TIME_TS,
        "src/components/Stopwatch.tsx": STOPWATCH_TSX,
        "src/components/Countdown.tsx": COUNTDOWN_TSX,
        "src/App.css": theme_css(spec) + APP_CSS,
        "src/App.tsx": app_tsx(spec),
    }
