/**
 * The history panel's choices, pure: which versions are selected for a comparison, in
 * which order they are compared (older → newer, the current files always last), and the
 * words shown for a version.
 */

import type { VersionSummary } from '../api/history'

/** A version by id (as a string), or the working copy as it is now. */
export type VersionRef = string
export const CURRENT: VersionRef = 'current'

export const refOf = (version: { id: number | string }): VersionRef => String(version.id)

/**
 * Selecting a version toggles it; at most two stay selected (a third replaces the older
 * choice, so the last two clicks are what gets compared).
 */
export function toggleSelection(selected: readonly VersionRef[], ref: VersionRef): VersionRef[] {
  if (selected.includes(ref)) return selected.filter((r) => r !== ref)
  if (selected.length < 2) return [...selected, ref]
  return [selected[selected.length - 1], ref]
}

/** Where a version stands in time: its number; the current files come after every version. */
export function refOrder(ref: VersionRef, versions: readonly VersionSummary[]): number {
  if (ref === CURRENT) return Number.POSITIVE_INFINITY
  const version = versions.find((v) => refOf(v) === ref)
  return version ? version.number : Number.NaN
}

export interface ComparePair {
  from: VersionRef
  to: VersionRef
}

/**
 * What "Compare" compares: two selections, older first; one selected version against the
 * current files. Null when nothing (or only "current") is selected, or a choice is unknown.
 */
export function comparePair(selected: readonly VersionRef[], versions: readonly VersionSummary[]): ComparePair | null {
  const chosen = selected.length === 1 ? [selected[0], CURRENT] : selected.slice(-2)
  if (chosen.length !== 2 || chosen[0] === chosen[1]) return null
  const [a, b] = chosen
  const orderA = refOrder(a, versions)
  const orderB = refOrder(b, versions)
  if (Number.isNaN(orderA) || Number.isNaN(orderB)) return null
  return orderA <= orderB ? { from: a, to: b } : { from: b, to: a }
}

/** "Version 3" or "Current files". */
export function refLabel(ref: VersionRef, versions: readonly VersionSummary[]): string {
  if (ref === CURRENT) return 'Current files'
  const version = versions.find((v) => refOf(v) === ref)
  return version ? `Version ${version.number}` : 'Unknown version'
}

/** "1 file changed", "3 files changed", "no file changed". */
export function changedText(count: number): string {
  if (count === 0) return 'no file changed'
  return `${count} ${count === 1 ? 'file' : 'files'} changed`
}

const KIND_LABELS: Record<string, string> = { assistant: 'AI', edit: 'edit', restore: 'restore' }

/** A short tag for who made a version. */
export function kindLabel(kind: string): string {
  return KIND_LABELS[kind] ?? kind
}

/** Versions newest first, whatever order the server sent. */
export function newestFirst<T extends { number: number }>(versions: readonly T[]): T[] {
  return [...versions].sort((a, b) => b.number - a.number)
}
