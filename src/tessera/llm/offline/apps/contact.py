"""A contact form: labelled fields, inline validation, and a success state.

The fields are data: the ``FIELDS`` array in ``src/App.tsx``. A follow-up adds a field
by inserting one line there (before the message), as an optional field; optional fields
are validated only when filled in.
"""

# The embedded TypeScript and CSS keep their own line lengths.
# ruff: noqa: E501

from __future__ import annotations

import re
from dataclasses import dataclass

from tessera.llm.offline.apps.base import AppInfo, AppSpec, js_string, jsx_text, marker
from tessera.llm.offline.apps.common import scaffold, theme_css

INFO = AppInfo(
    kind="contact",
    default_title="Contact Us",
    noun="a contact form",
    description="A contact form with inline validation and a thank-you message.",
    category="forms",
    pitch="with name, email and message fields, inline validation and a thank-you state",
    tweaks='rename it, change its colour ("make it blue"), switch to dark mode, '
    'or add a field ("add a phone field")',
)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    label: str
    type: str
    placeholder: str
    required: bool = False
    min_length: int | None = None

    def line(self) -> str:
        """The field as one entry of the ``FIELDS`` array."""
        parts = [
            f"name: {js_string(self.name)}",
            f"label: {js_string(self.label)}",
            f"type: {js_string(self.type)}",
            f"placeholder: {js_string(self.placeholder)}",
        ]
        if self.required:
            parts.append("required: true")
        if self.min_length is not None:
            parts.append(f"minLength: {self.min_length}")
        return "  { " + ", ".join(parts) + " },"


BASE_FIELDS = (
    FieldSpec("name", "Name", "text", "Ada Lovelace", required=True),
    FieldSpec("email", "Email", "email", "ada@example.com", required=True),
    FieldSpec("message", "Message", "textarea", "How can we help?", required=True, min_length=10),
)

# (words in the field's name, input type, placeholder)
_TYPE_HINTS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("phone", "mobile", "telephone", "cell", "tel"), "tel", "+1 555 123 4567"),
    (("email", "e-mail", "mail"), "email", "you@example.com"),
    (("website", "url", "site", "homepage", "link", "portfolio", "linkedin"), "url", "https://"),
    (("age", "number", "quantity", "amount", "count", "budget", "guests", "size"), "number", "0"),
    (("date", "birthday", "birthdate", "dob", "deadline"), "date", ""),
    (("comment", "comments", "notes", "bio", "description", "details", "feedback"), "textarea", ""),
)

_IDENTIFIER_WORD = re.compile(r"[A-Za-z0-9]+")


def field_for(name: str) -> FieldSpec | None:
    """An optional field named by the user ("phone number" → phoneNumber, type tel)."""
    words = _IDENTIFIER_WORD.findall(name)
    if not words:
        return None
    first, *rest = (word.lower() for word in words)
    key = first + "".join(word.capitalize() for word in rest)
    if key[0].isdigit():
        key = "field" + key.capitalize()
    label = " ".join(words)
    label = label[0].upper() + label[1:]
    lowered = {word.lower() for word in words}
    for hints, input_type, placeholder in _TYPE_HINTS:
        if lowered & set(hints):
            return FieldSpec(key, label, input_type, placeholder or f"Your {label.lower()}")
    return FieldSpec(key, label, "text", f"Your {label.lower()}")


VALIDATION_TS = """\
export type FieldType = 'text' | 'email' | 'tel' | 'url' | 'number' | 'date' | 'textarea'

export type Field = {
  name: string
  label: string
  type: FieldType
  placeholder: string
  required?: boolean
  minLength?: number
}

export type Values = Record<string, string>
export type Errors = Record<string, string>

const EMAIL = /^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$/
const PHONE = /^\\+?[0-9\\s().-]{7,}$/

function isWebAddress(value: string): boolean {
  try {
    const url = new URL(value)
    return url.protocol === 'http:' || url.protocol === 'https:'
  } catch {
    return false
  }
}

// The problem with one field's value, or null. Optional fields are checked only when filled in.
export function fieldError(field: Field, raw: string | undefined): string | null {
  const value = (raw ?? '').trim()
  if (!value) return field.required ? `${field.label} is required.` : null
  if (field.type === 'email' && !EMAIL.test(value)) return 'Enter a valid email address, like name@example.com.'
  if (field.type === 'tel' && !PHONE.test(value)) return 'Enter a valid phone number.'
  if (field.type === 'url' && !isWebAddress(value)) return 'Enter a full web address, like https://example.com.'
  if (field.type === 'number' && !Number.isFinite(Number(value))) return 'Enter a number.'
  if (field.minLength !== undefined && value.length < field.minLength) {
    return `${field.label} needs at least ${field.minLength} characters.`
  }
  return null
}

export function validate(fields: Field[], values: Values): Errors {
  const errors: Errors = {}
  for (const field of fields) {
    const error = fieldError(field, values[field.name])
    if (error) errors[field.name] = error
  }
  return errors
}
"""

FORM_FIELD_TSX = """\
import type { Field } from '../validation'

type Props = {
  field: Field
  value: string
  error: string | undefined
  onChange: (value: string) => void
  onBlur: () => void
}

export default function FormField({ field, value, error, onChange, onBlur }: Props) {
  const id = `field-${field.name}`
  const common = {
    id,
    name: field.name,
    value,
    placeholder: field.placeholder,
    'aria-label': field.label,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': error ? `${id}-error` : undefined,
    onBlur,
  }
  return (
    <div className={error ? 'field invalid' : 'field'}>
      <label htmlFor={id}>
        {field.label}
        {field.required ? <span className="required"> *</span> : <span className="optional"> (optional)</span>}
      </label>
      {field.type === 'textarea' ? (
        <textarea {...common} rows={5} onChange={(event) => onChange(event.target.value)} />
      ) : (
        <input {...common} type={field.type} onChange={(event) => onChange(event.target.value)} />
      )}
      {error && (
        <p className="error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  )
}
"""


def app_tsx(spec: AppSpec) -> str:
    fields = "\n".join(field.line() for field in BASE_FIELDS)
    return f"""\
{marker("contact")}
import {{ useState }} from 'react'
import type {{ FormEvent }} from 'react'
import './App.css'
import FormField from './components/FormField'
import {{ fieldError, validate }} from './validation'
import type {{ Errors, Field, Values }} from './validation'

// The form's fields, in order. Optional fields are checked only when filled in.
const FIELDS: Field[] = [
{fields}
]

const emptyValues = (): Values => Object.fromEntries(FIELDS.map((field) => [field.name, '']))

export default function App() {{
  const [values, setValues] = useState<Values>(emptyValues)
  const [touched, setTouched] = useState<Record<string, boolean>>({{}})
  const [submitted, setSubmitted] = useState(false)
  const [sending, setSending] = useState(false)
  const [sentTo, setSentTo] = useState<string | null>(null)

  const errors: Errors = validate(FIELDS, values)
  const visibleError = (name: string) => (submitted || touched[name] ? errors[name] : undefined)

  function update(name: string, value: string) {{
    setValues((current) => ({{ ...current, [name]: value }}))
  }}

  function submit(event: FormEvent<HTMLFormElement>) {{
    event.preventDefault()
    setSubmitted(true)
    const firstInvalid = FIELDS.find((field) => fieldError(field, values[field.name]) !== null)
    if (firstInvalid) {{
      document.getElementById(`field-${{firstInvalid.name}}`)?.focus()
      return
    }}
    setSending(true)
    window.setTimeout(() => {{
      setSending(false)
      setSentTo(values.name?.trim() || 'there')
    }}, 700)
  }}

  function reset() {{
    setValues(emptyValues())
    setTouched({{}})
    setSubmitted(false)
    setSentTo(null)
  }}

  return (
    <main className="app narrow">
      <header className="app-header">
        <h1>{jsx_text(spec.title)}</h1>
        <p>Send us a message and we'll get back to you soon.</p>
      </header>

      <section className="card">
        {{sentTo !== null ? (
          <div className="success" role="status">
            <div className="success-icon" aria-hidden="true">
              ✓
            </div>
            <h2>Thanks, {{sentTo}}!</h2>
            <p>Your message has been sent. We'll reply within two working days.</p>
            <button type="button" onClick={{reset}}>
              Send another message
            </button>
          </div>
        ) : (
          <form className="form" onSubmit={{submit}} noValidate>
            {{FIELDS.map((field) => (
              <FormField
                key={{field.name}}
                field={{field}}
                value={{values[field.name] ?? ''}}
                error={{visibleError(field.name)}}
                onChange={{(value) => update(field.name, value)}}
                onBlur={{() => setTouched((current) => ({{ ...current, [field.name]: true }}))}}
              />
            ))}}
            <button type="submit" disabled={{sending}}>
              {{sending ? 'Sending…' : 'Send message'}}
            </button>
          </form>
        )}}
      </section>
    </main>
  )
}}
"""


APP_CSS = """
.app.narrow {
  max-width: 520px;
}

.form {
  display: flex;
  flex-direction: column;
  gap: 18px;
}

.field {
  display: flex;
  flex-direction: column;
  gap: 6px;
}

.field label {
  font-weight: 600;
  font-size: 0.95rem;
}

.required {
  color: var(--accent);
}

.optional {
  color: var(--muted);
  font-weight: 400;
}

.field.invalid input,
.field.invalid textarea {
  border-color: var(--danger);
}

.error {
  margin: 0;
  color: var(--danger);
  font-size: 0.85rem;
}

textarea {
  resize: vertical;
}

.success {
  text-align: center;
  padding: 12px 0;
}

.success h2 {
  margin: 12px 0 4px;
}

.success p {
  color: var(--muted);
  margin: 0 0 20px;
}

.success-icon {
  width: 56px;
  height: 56px;
  margin: 0 auto;
  border-radius: 50%;
  display: grid;
  place-items: center;
  font-size: 1.6rem;
  background: color-mix(in srgb, var(--accent) 15%, transparent);
  color: var(--accent);
}
"""


def files(spec: AppSpec) -> dict[str, str]:
    return {
        **scaffold(spec),
        "src/validation.ts": VALIDATION_TS,
        "src/components/FormField.tsx": FORM_FIELD_TSX,
        "src/App.css": theme_css(spec) + APP_CSS,
        "src/App.tsx": app_tsx(spec),
    }
