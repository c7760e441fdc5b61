import { EIO, encodePayload, type EngineFrame } from './codec'
import type { SessionState } from './session'

const TEXT = { 'content-type': 'text/plain; charset=UTF-8' }

/**
 * One Engine.IO session on the HTTP long-polling transport. Lives in memory only: a polling
 * client keeps its object busy with a request every few milliseconds, and a session an eviction
 * loses makes the client reconnect ("Session ID unknown").
 */
export class PollSession {
  readonly transport = 'polling'
  #queue: EngineFrame[] = []
  #waiter: ((payload: string) => void) | undefined
  #timer: ReturnType<typeof setTimeout> | undefined
  closed = false
  lastSeen = Date.now()

  constructor(
    readonly eid: string,
    public state: SessionState,
  ) {}

  send(frames: EngineFrame[]): void {
    if (this.closed) return
    this.#queue.push(...frames)
    this.flush()
  }

  /** Hands everything queued to the waiting GET, if there is one. */
  flush(): void {
    if (!this.#waiter || this.#queue.length === 0) return
    const payload = encodePayload(this.#queue)
    this.#queue = []
    this.#release(payload)
  }

  /** Takes whatever is still queued (the upgrade moves it to the WebSocket). */
  drain(): EngineFrame[] {
    const out = this.#queue
    this.#queue = []
    return out
  }

  /** Ends a waiting GET with a noop (upgrade) or a close packet (session end). */
  release(packet: string = EIO.noop): void {
    if (this.#waiter) this.#release(packet)
  }

  /** Answers a GET: now if something is queued, else when something is (or after `holdMs`, a noop). */
  poll(holdMs: number): Promise<Response> | Response {
    this.lastSeen = Date.now()
    if (this.#waiter) return engineError(400, 3, 'Bad request')
    if (this.closed) return new Response(EIO.close, { headers: TEXT })
    if (this.#queue.length) {
      const payload = encodePayload(this.#queue)
      this.#queue = []
      return new Response(payload, { headers: TEXT })
    }
    return new Promise<Response>((resolve) => {
      this.#waiter = (payload) => resolve(new Response(payload, { headers: TEXT }))
      this.#timer = setTimeout(() => this.release(EIO.noop), holdMs)
    })
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.release(EIO.close)
  }

  #release(payload: string): void {
    const w = this.#waiter
    this.#waiter = undefined
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
    w?.(payload)
  }
}

/** Engine.IO's HTTP error body: `{"code":n,"message":"…"}` (0 transport unknown, 1 session unknown, 3 bad request, 5 unsupported version). */
export function engineError(status: number, code: number, message: string): Response {
  return Response.json({ code, message }, { status })
}
