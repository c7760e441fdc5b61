import { DurableObject } from 'cloudflare:workers'

/** Outcome of one attempt against a limit. */
export interface RateDecision {
  allowed: boolean
  remaining: number
  /** Seconds until the window frees a slot (0 when allowed). */
  retryAfter: number
}

/**
 * One object per limited key (`ip:<addr>`, `account:<email>`): a sliding log of attempt times in
 * memory. Chosen over the Workers rate-limiting binding because its window is configurable, it
 * behaves identically under `wrangler dev` and in tests, and it is exact per key (the binding is
 * eventually consistent per location). Losing the log on eviction only forgives old attempts.
 */
export class RateLimiter extends DurableObject {
  #hits: number[] = []

  /** Records an attempt if `limit` attempts in the last `windowSeconds` allow it. */
  hit(limit: number, windowSeconds: number): RateDecision {
    const now = Date.now()
    const since = now - windowSeconds * 1000
    this.#hits = this.#hits.filter((t) => t > since)
    if (this.#hits.length >= limit) {
      return {
        allowed: false,
        remaining: 0,
        retryAfter: Math.max(1, Math.ceil((this.#hits[0] - since) / 1000)),
      }
    }
    this.#hits.push(now)
    return { allowed: true, remaining: limit - this.#hits.length, retryAfter: 0 }
  }

  /** Forgets every attempt (a successful login clears the account's failures). */
  reset(): void {
    this.#hits = []
  }
}
