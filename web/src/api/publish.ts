/**
 * Export (a zip of the files, or a git repository with one commit per version) and
 * publishing: a production build served by Tessera at `/apps/{slug}/`.
 */

import { ApiError, projectUrl, request } from './client'

export interface Publication {
  slug: string
  /** Relative to Tessera's origin, e.g. "/apps/my-app/". */
  url: string
  published_at: string
  version_number: number | null
}

export const exportZipUrl = (id: string) => `${projectUrl(id)}/export.zip`
export const exportGitUrl = (id: string) => `${projectUrl(id)}/export.git.zip`

export const publishApi = {
  /** The current publication, or null when the project is not published. */
  get: async (id: string, signal?: AbortSignal): Promise<Publication | null> => {
    try {
      return await request<Publication>('GET', `${projectUrl(id)}/publish`, undefined, { signal })
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null
      throw error
    }
  },
  /** Builds and publishes the current files (again at the same URL when already published). */
  publish: (id: string, slug?: string) => request<Publication>('POST', `${projectUrl(id)}/publish`, slug ? { slug } : {}),
  unpublish: (id: string) => request<void>('DELETE', `${projectUrl(id)}/publish`),
}
