/**
 * What the chat shows under an assistant turn: the tokens and cost of its model calls and
 * what the model was sent. Pure: the reducer collects these, the components format them.
 */

import type { AppError } from '../api/appError'
import type { AutofixStatus, CustomValues } from '../api/events'

/** The sum of one turn's model calls. */
export interface TurnUsage {
  input_tokens: number
  output_tokens: number
  /** Null as soon as one call's price is unknown: a partial sum would mislead. */
  cost_usd: number | null
  calls: number
  provider: string
  model: string
}

export interface TurnContext {
  files: string[]
  summarised: string[]
  tokens: number
  budget: number
}

export interface TurnMeta {
  usage: TurnUsage | null
  context: TurnContext | null
}

export const emptyMeta: TurnMeta = { usage: null, context: null }

const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0)
const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [])

/** Adds one model call's usage to a turn's. */
export function addUsage(total: TurnUsage | null, call: CustomValues['usage']): TurnUsage {
  const cost = typeof call.cost_usd === 'number' && Number.isFinite(call.cost_usd) ? call.cost_usd : null
  const provider = typeof call.provider === 'string' ? call.provider : ''
  const model = typeof call.model === 'string' ? call.model : ''
  if (total === null) {
    return {
      input_tokens: count(call.input_tokens),
      output_tokens: count(call.output_tokens),
      cost_usd: cost,
      calls: 1,
      provider,
      model,
    }
  }
  return {
    input_tokens: total.input_tokens + count(call.input_tokens),
    output_tokens: total.output_tokens + count(call.output_tokens),
    cost_usd: total.cost_usd === null || cost === null ? null : total.cost_usd + cost,
    calls: total.calls + 1,
    provider: provider || total.provider,
    model: model || total.model,
  }
}

export function asTurnContext(value: CustomValues['context']): TurnContext {
  return {
    files: strings(value.files),
    summarised: strings(value.summarised),
    tokens: count(value.tokens),
    budget: count(value.budget),
  }
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

/** "$0.0021", "$1.25", "free" or "cost unknown". */
export function costText(cost: number | null): string {
  if (cost === null) return 'cost unknown'
  if (cost === 0) return 'free'
  if (cost >= 1) return `$${cost.toFixed(2)}`
  if (cost >= 0.0001) return `$${cost.toFixed(4)}`
  return '<$0.0001'
}

/** "1,234 in · 567 out · $0.0021". */
export function usageText(usage: TurnUsage): string {
  return `${integer.format(usage.input_tokens)} in · ${integer.format(usage.output_tokens)} out · ${costText(usage.cost_usd)}`
}

/** "950", "1.5k", "12k", "128k", "1.2M": token counts at a glance. */
export function compactTokens(tokens: number): string {
  if (tokens < 1000) return String(Math.round(tokens))
  if (tokens < 10_000) return `${(tokens / 1000).toFixed(1).replace(/\.0$/, '')}k`
  if (tokens < 1_000_000) return `${Math.round(tokens / 1000)}k`
  return `${(tokens / 1_000_000).toFixed(1).replace(/\.0$/, '')}M`
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`

/** "sent 7 files, 3 summarised, 12k of 128k tokens". */
export function contextText(context: TurnContext): string {
  const parts = [`sent ${plural(context.files.length, 'file', 'files')}`]
  if (context.summarised.length > 0) parts.push(`${context.summarised.length} summarised`)
  const budget = context.budget > 0 ? ` of ${compactTokens(context.budget)}` : ''
  parts.push(`${compactTokens(context.tokens)}${budget} tokens`)
  return parts.join(', ')
}

/** The chat line for one step of an automatic fix. */
export function autofixText(status: AutofixStatus | (string & {}), attempt: number, max: number, errors: number): string {
  switch (status) {
    case 'started':
      return `Fixing ${plural(errors, 'error', 'errors')} automatically (attempt ${attempt} of ${max})…`
    case 'fixed':
      return 'Fixed.'
    case 'gave_up':
      return `Stopped after ${plural(attempt, 'attempt', 'attempts')}: the app still has errors — see the console.`
    default:
      return `Automatic fix: ${status}`
  }
}

/** "The app reported 2 errors after deploying." */
export function appErrorsText(errors: readonly AppError[]): string {
  return `The app reported ${plural(errors.length, 'error', 'errors')} after deploying.`
}
