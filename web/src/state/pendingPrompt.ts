/**
 * The prompt typed on the home page, handed to the workspace of the project it created.
 * Kept in memory (not in the URL or history state) so that reloading the workspace
 * never starts the same run twice.
 */

const pending = new Map<string, string>()

export function setPendingPrompt(projectId: string, prompt: string): void {
  pending.set(projectId, prompt)
}

export function takePendingPrompt(projectId: string): string | null {
  const prompt = pending.get(projectId) ?? null
  pending.delete(projectId)
  return prompt
}
