"""Files every generated app has: the Vite scaffolding, and the themed base of ``App.css``.

``package.json`` keeps exactly the react template's dependencies, so a project never
needs an install after the offline model wrote it.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from tessera.llm.offline.apps.base import AppSpec, html_text, slug
from tessera.llm.offline.theme import palette

DEPENDENCIES = {"react": "^19.3.1", "react-dom": "^19.3.1"}
DEV_DEPENDENCIES = {"@vitejs/plugin-react": "^6.3.0", "vite": "^8.3.8"}

VITE_CONFIG = """\
import { defineConfig } from 'vite'
import react from '@vitejs/plugin-react'

// Served to the browser through Tessera's preview proxy, under its own host name.
export default defineConfig({
  plugins: [react()],
  server: { allowedHosts: true },
})
"""

TSCONFIG = """\
{
  "compilerOptions": {
    "target": "ES2022",
    "lib": ["ES2022", "DOM", "DOM.Iterable"],
    "module": "ESNext",
    "moduleResolution": "bundler",
    "jsx": "react-jsx",
    "strict": true,
    "skipLibCheck": true,
    "noEmit": true,
    "isolatedModules": true
  },
  "include": ["src"]
}
"""

MAIN_TSX = """\
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import App from './App'

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
"""


ICONS = {
    "todo": "✅",
    "counter": "🔢",
    "notes": "📝",
    "calculator": "🧮",
    "stopwatch": "⏱️",
    "contact": "✉️",
    "kanban": "📋",
    "guestbook": "📖",
    "fullstack-todo": "🗄️",
}


def favicon(spec: AppSpec) -> str:
    """An emoji icon as an inline SVG data URL (no file, no request)."""
    svg = (
        "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 100 100'>"
        f"<text y='.9em' font-size='90'>{ICONS[spec.kind]}</text></svg>"
    )
    return "data:image/svg+xml," + quote(svg, safe="/:=' .")


def package_json(spec: AppSpec) -> str:
    manifest = {
        "name": slug(spec.title, default="tessera-app"),
        "private": True,
        "version": "0.0.0",
        "type": "module",
        "scripts": {"dev": "vite", "build": "vite build", "preview": "vite preview"},
        "dependencies": DEPENDENCIES,
        "devDependencies": DEV_DEPENDENCIES,
    }
    return json.dumps(manifest, indent=2) + "\n"


def index_html(spec: AppSpec) -> str:
    return f"""\
<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1.0" />
    <link rel="icon" href="{favicon(spec)}" />
    <title>{html_text(spec.title)}</title>
  </head>
  <body>
    <div id="root"></div>
    <script type="module" src="/src/main.tsx"></script>
  </body>
</html>
"""


def scaffold(spec: AppSpec) -> dict[str, str]:
    """The files outside ``src/App*``, in the order they are written."""
    return {
        "package.json": package_json(spec),
        "vite.config.ts": VITE_CONFIG,
        "tsconfig.json": TSCONFIG,
        "index.html": index_html(spec),
        "src/main.tsx": MAIN_TSX,
    }


def theme_css(spec: AppSpec) -> str:
    """The top of ``App.css``: the theme variables, then the shared element styles."""
    colours = palette(spec.dark)
    variables = "\n".join(f"  {name}: {value};" for name, value in colours.variables().items())
    return f"""\
/* Theme: change these variables to restyle the whole app. */
:root {{
  color-scheme: {colours.scheme};
  --accent: {spec.accent.color};
  --accent-contrast: {spec.accent.contrast};
{variables}
  --danger: #dc2626;
  --radius: 14px;
  --shadow: 0 1px 2px rgb(15 23 42 / 0.06), 0 12px 32px rgb(15 23 42 / 0.08);
  font-family: Inter, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
  line-height: 1.5;
  color: var(--text);
  background: var(--bg);
}}

* {{
  box-sizing: border-box;
}}

body {{
  margin: 0;
  min-height: 100vh;
  background: var(--bg);
  color: var(--text);
}}

.app {{
  max-width: 640px;
  margin: 0 auto;
  padding: 56px 20px 40px;
}}

.app-header {{
  margin-bottom: 24px;
}}

.app-header h1 {{
  margin: 0;
  font-size: 2rem;
  letter-spacing: -0.02em;
}}

.app-header p {{
  margin: 4px 0 0;
  color: var(--muted);
}}

.card {{
  background: var(--surface);
  border: 1px solid var(--border);
  border-radius: var(--radius);
  box-shadow: var(--shadow);
  padding: 24px;
}}

button {{
  font: inherit;
  cursor: pointer;
  border: 1px solid transparent;
  border-radius: 10px;
  padding: 10px 16px;
  background: var(--accent);
  color: var(--accent-contrast);
  font-weight: 600;
  transition: filter 0.15s ease, transform 0.05s ease, background 0.15s ease;
}}

button:hover:not(:disabled) {{
  filter: brightness(1.08);
}}

button:active:not(:disabled) {{
  transform: translateY(1px);
}}

button:disabled {{
  opacity: 0.45;
  cursor: not-allowed;
}}

button:focus-visible,
input:focus-visible,
textarea:focus-visible,
select:focus-visible {{
  outline: 3px solid color-mix(in srgb, var(--accent) 35%, transparent);
  outline-offset: 2px;
}}

button.secondary {{
  background: transparent;
  color: var(--text);
  border-color: var(--border);
}}

button.ghost {{
  background: transparent;
  color: var(--muted);
  padding: 6px 10px;
  font-weight: 500;
}}

button.ghost:hover:not(:disabled) {{
  color: var(--accent);
}}

input,
textarea,
select {{
  font: inherit;
  color: var(--text);
  background: var(--bg);
  border: 1px solid var(--border);
  border-radius: 10px;
  padding: 10px 12px;
  width: 100%;
}}

input::placeholder,
textarea::placeholder {{
  color: var(--muted);
}}

a {{
  color: var(--accent);
}}

.made-with {{
  margin-top: 28px;
  text-align: center;
  font-size: 0.8rem;
  color: var(--muted);
}}
"""


TODO_ROWS_CSS = """\
.todo {
  display: flex;
  align-items: center;
  justify-content: space-between;
  gap: 12px;
  padding: 10px 4px;
  border-bottom: 1px solid var(--border);
}

.todo label {
  display: flex;
  align-items: center;
  gap: 12px;
  flex: 1;
  cursor: pointer;
}

.todo input[type='checkbox'] {
  width: 18px;
  height: 18px;
  accent-color: var(--accent);
}

.todo.done .todo-text {
  color: var(--muted);
  text-decoration: line-through;
}

.empty {
  color: var(--muted);
  text-align: center;
  padding: 24px 0;
  margin: 0;
}
"""
"""Styles of a todo row (checkbox, text, delete) shared by the todo apps."""
