import { contextText, usageText, type TurnMeta } from '../state/turnMeta'

/**
 * The small print under an assistant turn: tokens and cost of its model calls, and what the
 * model was sent (expandable to the list of files).
 */
export function TurnMetaLine({ meta }: { meta: TurnMeta }) {
  const { usage, context } = meta
  if (!usage && !context) return null
  return (
    <div className="turn-meta">
      {usage && (
        <span
          className="turn-usage"
          data-testid="turn-usage"
          title={`${usage.provider}${usage.model ? ` · ${usage.model}` : ''}${usage.calls > 1 ? ` · ${usage.calls} calls` : ''}`}
        >
          {usageText(usage)}
        </span>
      )}
      {context && (
        <details className="turn-context" data-testid="turn-context">
          <summary>{contextText(context)}</summary>
          <ul>
            {context.files.map((path) => (
              <li key={`f:${path}`}>
                <code>{path}</code>
              </li>
            ))}
            {context.summarised.map((path) => (
              <li key={`s:${path}`}>
                <code>{path}</code> <span className="muted">(summarised)</span>
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  )
}
