import { nextTheme, setTheme } from '../state/theme'
import { useTheme } from '../state/useTheme'
import { MoonIcon, SunIcon } from './icons'

/** Light or dark; the choice is remembered (until then the system's preference applies). */
export function ThemeToggle() {
  const theme = useTheme()
  const next = nextTheme(theme)
  return (
    <button
      type="button"
      className="icon-button"
      data-testid="theme-toggle"
      data-theme={theme}
      aria-label={`Switch to the ${next} theme`}
      title={`Switch to the ${next} theme`}
      onClick={() => setTheme(next)}
    >
      {theme === 'dark' ? <SunIcon size={15} /> : <MoonIcon size={15} />}
    </button>
  )
}
