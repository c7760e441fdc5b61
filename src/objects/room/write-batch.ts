/**
 * Coalesces storage writes that arrive close together — several WebSocket messages delivered
 * before a zero-delay timer fires — into one run, so that they share one implicit transaction
 * (one commit, one output-gate wait) instead of one each. In the benchmarks a busy room's sends
 * arrive in runs of tens to hundreds. Work runs in arrival order; each caller gets its own
 * result or error. Frames sent by the work leave only once the whole run is durable.
 */
export class WriteBatch {
  #queue: (() => void)[] = []
  #scheduled = false

  /** Runs `fn` with the next batch of writes. */
  run<R>(fn: () => R): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push(() => {
        try {
          resolve(fn())
        } catch (err) {
          reject(err)
        }
      })
      if (this.#scheduled) return
      this.#scheduled = true
      setTimeout(() => this.#flush(), 0)
    })
  }

  /**
   * Resolves once the writes queued so far are done; undefined when none are, so that other
   * commands of a connection keep their order relative to its sends without waiting otherwise.
   */
  get idle(): Promise<void> | undefined {
    return this.#scheduled ? this.run(() => undefined) : undefined
  }

  #flush(): void {
    this.#scheduled = false
    for (const work of this.#queue.splice(0)) work()
  }
}
