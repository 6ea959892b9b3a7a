/** "3 minutes ago" for a server timestamp (ISO 8601; a value without a zone is UTC). */
export function timeAgo(iso: string, now: number = Date.now()): string {
  const hasZone = /[zZ]|[+-]\d\d:?\d\d$/.test(iso)
  const then = Date.parse(hasZone ? iso : `${iso}Z`)
  if (Number.isNaN(then)) return ''
  const seconds = Math.round((then - now) / 1000)
  const format = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' })
  const abs = Math.abs(seconds)
  if (abs < 45) return 'just now'
  if (abs < 3600) return format.format(Math.round(seconds / 60), 'minute')
  if (abs < 86400) return format.format(Math.round(seconds / 3600), 'hour')
  if (abs < 86400 * 30) return format.format(Math.round(seconds / 86400), 'day')
  return new Date(then).toLocaleDateString()
}
