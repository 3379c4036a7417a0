/**
 * Runs `render` at most once per `reuseMs`: concurrent callers share the run in progress, and
 * later ones reuse its result until it is `reuseMs` old. A flood of scrapes or probes therefore
 * costs one run per interval, not one per request. A failed run is not kept.
 */
export function sharedResult<T> (render: () => Promise<T>, reuseMs: number, now: () => number = Date.now): () => Promise<T> {
  let current: Promise<T> | undefined
  let startedAt = 0
  return async () => {
    if (current === undefined || now() - startedAt >= reuseMs) {
      startedAt = now()
      const rendering = render()
      current = rendering
      rendering.catch(() => { if (current === rendering) current = undefined })
    }
    return await current
  }
}
