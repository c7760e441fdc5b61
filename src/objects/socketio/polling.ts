import { EIO, encodePayload, type EngineFrame } from './codec'
import type { SessionState } from './session'
import type { Transport } from './transport'
import { UPGRADE_NOOP_MS, upgradeStep, type UpgradeInput, type UpgradeState } from './upgrade'

const TEXT = { 'content-type': 'text/plain; charset=UTF-8' }

/** Timers of one polling session, as Engine.IO's server keeps them (setTimeout: the session lives in memory). */
export interface PollTimers {
  pingInterval: number
  pingTimeout: number
  connectTimeout: number
  /** Called when the pong is overdue or no namespace was joined in time. */
  expire(session: PollingTransport, reason: 'ping timeout' | 'connect timeout'): void
}

/**
 * One Engine.IO session on the HTTP long-polling transport. Lives in memory only: a polling
 * client keeps its object busy with a request every few milliseconds, and a session an eviction
 * loses makes the client reconnect ("Session ID unknown").
 *
 * Heartbeat as Engine.IO's server: a ping every `pingInterval` from the open (the next one only
 * once the last was answered), and its pong must come within `pingTimeout` — a GET does not count. Upgrade: once a
 * WebSocket probe answered `3probe` (`probed`), every GET is released with a noop after
 * UPGRADE_NOOP_MS so that the client can pause polling and send `5` (upgrade.ts).
 */
export class PollingTransport implements Transport {
  readonly transport = 'polling'
  #queue: EngineFrame[] = []
  #waiter: ((res: Response) => void) | undefined
  #hold: ReturnType<typeof setTimeout> | undefined
  #ping: ReturnType<typeof setTimeout> | undefined
  #pong: ReturnType<typeof setTimeout> | undefined
  #connect: ReturnType<typeof setTimeout> | undefined
  /** When the pong of the last ping is due (epoch ms); undefined while none is awaited. */
  #pongDue: number | undefined
  /** When the last ping went out: pings keep a fixed rate while pongs come in time. */
  #pingAt = 0
  closed = false
  /** POSTs received (the first one carries socket.io-client's CONNECT). */
  posts = 0
  /** Where this session's upgrade to a WebSocket stands (upgrade.ts). */
  upgrade: UpgradeState = 'polling'

  constructor(
    readonly eid: string,
    public state: SessionState,
    readonly timers: PollTimers,
  ) {
    this.#schedulePing()
    this.#connect = setTimeout(() => {
      if (!Object.keys(this.state.nsps).length) timers.expire(this, 'connect timeout')
    }, timers.connectTimeout)
  }

  /** At once: what is sent next goes in a later GET's answer or joins this one's, as on engine.io. */
  apart(): Promise<void> {
    return Promise.resolve()
  }

  save(state: SessionState): void {
    this.state = state
  }

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
    this.#answer(new Response(payload, { headers: TEXT }))
  }

  /** Takes whatever is still queued (the upgrade moves it to the WebSocket). */
  drain(): EngineFrame[] {
    const out = this.#queue
    this.#queue = []
    return out
  }

  /** The client answered a ping: the deadline is off, the next ping comes `pingInterval` after the last one. */
  pong(): void {
    if (this.#pongDue === undefined) return
    this.#pongDue = undefined
    if (this.#pong) clearTimeout(this.#pong)
    this.#pong = undefined
    this.#schedulePing(Math.max(0, this.#pingAt + this.timers.pingInterval - Date.now()))
  }

  /** Whether the pong is overdue (checked on every request, so a late timer cannot keep it alive). */
  expired(now = Date.now()): boolean {
    return this.#pongDue !== undefined && now >= this.#pongDue
  }

  /**
   * Moves the upgrade on by `input`; false when the protocol does not allow it now. Once probed,
   * a waiting GET is released soon, and so is every later one.
   */
  step(input: UpgradeInput): boolean {
    const next = upgradeStep(this.upgrade, input)
    if (!next) return false
    this.upgrade = next
    if (next === 'probed' && this.#waiter) this.#holdFor(UPGRADE_NOOP_MS)
    return true
  }

  /** Answers a GET: now if something is queued, else when something is (a ping comes within pingInterval). */
  poll(): Promise<Response> | Response {
    if (this.closed) return engineError(400, 1, 'Session ID unknown')
    if (this.#queue.length) {
      const payload = encodePayload(this.#queue)
      this.#queue = []
      return new Response(payload, { headers: TEXT })
    }
    return new Promise<Response>((resolve) => {
      this.#waiter = resolve
      if (this.upgrade === 'probed') this.#holdFor(UPGRADE_NOOP_MS)
    })
  }

  /** Whether a GET is waiting (a second one at the same time is a protocol error). */
  get waiting(): boolean {
    return this.#waiter !== undefined
  }

  /**
   * Ends the session: a waiting GET gets `packet` (noop when the client closed or the upgrade
   * finished, `1` when the server closes), or `answer` as the whole response. Timers stop.
   */
  close(packet: string = EIO.close, answer?: Response): void {
    if (this.closed) return
    this.closed = true
    for (const t of [this.#hold, this.#ping, this.#pong, this.#connect]) if (t) clearTimeout(t)
    if (this.#waiter) this.#answer(answer ?? new Response(packet, { headers: TEXT }))
  }

  #holdFor(ms: number): void {
    if (this.#hold) return
    this.#hold = setTimeout(() => {
      this.#hold = undefined
      if (this.#waiter) this.#answer(new Response(EIO.noop, { headers: TEXT }))
    }, ms)
  }

  #schedulePing(delay = this.timers.pingInterval): void {
    if (this.#ping) clearTimeout(this.#ping)
    this.#ping = setTimeout(() => {
      this.#ping = undefined
      this.send([EIO.ping])
      this.#pingAt = Date.now()
      this.#pongDue = this.#pingAt + this.timers.pingTimeout
      this.#pong = setTimeout(() => this.timers.expire(this, 'ping timeout'), this.timers.pingTimeout)
    }, this.timers.pingInterval)
  }

  #answer(res: Response): void {
    const w = this.#waiter
    this.#waiter = undefined
    if (this.#hold) clearTimeout(this.#hold)
    this.#hold = undefined
    w?.(res)
  }
}

/** Engine.IO's HTTP error body: `{"code":n,"message":"…"}` (0 transport unknown, 1 session unknown, 3 bad request, 5 unsupported version). */
export function engineError(status: number, code: number, message: string): Response {
  return Response.json({ code, message }, { status })
}
