import { useSyncExternalStore } from 'react'

import { currentTheme, subscribeTheme, type Theme } from './theme'

/** The theme in effect; re-renders when it changes. */
export function useTheme(): Theme {
  return useSyncExternalStore(subscribeTheme, currentTheme)
}
