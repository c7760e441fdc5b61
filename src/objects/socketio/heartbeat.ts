import type { Config } from '../../worker/config'
import { EIO } from './codec'
import type { WebSocketTransport } from './transport'
import { UPGRADE_TIMEOUT } from './upgrade'

/** Storage key of the recent ping rounds (so pong deadlines survive hibernation). */
const PINGS_KEY = 'sio:pings'

/**
 * Ping slots per interval. Time is cut into slots of `SOCKETIO_PING_INTERVAL / PING_SLOTS`. A
 * session's first ping comes in the last slot that starts no later than `pingInterval` after its
 * open — as on engine.io, an interval after its own open (up to a slot sooner, never later), not
 * on the rounds of the sessions already there — and its later pings with the object's round, every
 * `PING_SLOTS` slots on a grid all its sessions share (the first of those less than an interval
 * after its first ping). So no ping comes later than engine.io's, and an object whose sessions
 * are all past their first ping wakes once an interval and can hibernate in between.
 */
export const PING_SLOTS = 8

/** One ping round: when it went out and the slots it covered, `(from, to]`. */
type Round = [at: number, from: number, to: number]

/**
 * The deadlines of an object's WebSocket sessions, from one alarm for all of them: each session
 * pinged first an interval after its open, then with the object's round every
 * `SOCKETIO_PING_INTERVAL` (PING_SLOTS), each pong due
 * `SOCKETIO_PING_TIMEOUT` after its ping, a connection that joins no namespace closed after
 * `SOCKETIO_CONNECT_TIMEOUT`, and an upgrade probe that never completes after UPGRADE_TIMEOUT.
 * Pongs arrive while the object is still awake from the ping, so idle objects hibernate between
 * rounds; a pong's time is kept in the socket's attachment and the rounds in storage, so a deadline
 * checked after a hibernation still knows both. (Long-polling sessions keep their own timers:
 * polling.ts.)
 */
export class Heartbeat {
  /** Per recent round (by its time), the sessions pinged in it that have not answered yet. */
  #awaiting = new Map<number, Set<string>>()
  /** Recent ping rounds, oldest first; mirrored in storage. */
  #rounds: Round[] | undefined

  constructor(
    readonly kv: SyncKvStorage,
    readonly config: () => Config,
    /** Closes a session whose deadline passed. */
    readonly close: (session: WebSocketTransport, reason: string) => void,
  ) {}

  /** A pong: recorded in the attachment; answers whether a round is now complete (re-arm). */
  pong(session: WebSocketTransport): boolean {
    try {
      session.save({ ...session.state, pong: Date.now() })
    } catch {
      /* a full attachment keeps its previous pong: the deadline then closes it, as for a silent client */
    }
    let complete = false
    for (const waiting of this.#awaiting.values())
      if (waiting.delete(session.eid) && !waiting.size) complete = true
    return complete
  }

  /** The session closed: no pong is awaited from it. */
  forget(eid: string): void {
    for (const waiting of this.#awaiting.values()) waiting.delete(eid)
  }

  /** The earliest deadline among `sessions` (a ping due, an open pong deadline, a timeout); Infinity if none. */
  next(sessions: Iterable<WebSocketTransport>, now = Date.now()): number {
    const { SOCKETIO_PING_TIMEOUT: timeout } = this.config()
    const slot = this.#slot()
    const rounds = this.#pings()
    const from = this.#from(rounds, now, slot)
    let next = Infinity
    let firstSlot = Infinity
    for (const s of sessions) {
      next = Math.min(next, this.#timeoutOf(s) ?? Infinity)
      if (!s.state.probing) firstSlot = Math.min(firstSlot, nextSlot(firstSlotOf(s, slot), from))
    }
    if (firstSlot !== Infinity) next = Math.min(next, Math.max(now, Math.ceil(firstSlot * slot)))
    for (const [at] of rounds)
      if (at + timeout > now && this.#awaiting.get(at)?.size !== 0) next = Math.min(next, at + timeout)
    return next
  }

  /**
   * Closes sessions whose pong is overdue (the newest round that pinged them and whose timeout
   * passed), that joined no namespace in time, or whose upgrade probe never completed; then pings
   * the sessions whose slot came.
   */
  tick(sessions: Iterable<WebSocketTransport>, now = Date.now()): void {
    const { SOCKETIO_PING_TIMEOUT: timeout } = this.config()
    const slot = this.#slot()
    const rounds = this.#pings()
    const from = this.#from(rounds, now, slot)
    const to = Math.floor(now / slot)
    const ping: WebSocketTransport[] = []
    for (const s of sessions) {
      const first = firstSlotOf(s, slot)
      const due = s.state.probing
        ? undefined
        : rounds.findLast(([at, f, t]) => at + timeout <= now && pinged(first, f, t))?.[0]
      if (due !== undefined && (s.state.pong ?? 0) < due) this.close(s, 'ping timeout')
      else if (now >= (this.#timeoutOf(s) ?? Infinity)) this.close(s, 'connect timeout')
      else if (!s.state.probing && to > from && pinged(first, from, to)) ping.push(s)
    }
    if (ping.length) {
      for (const s of ping) s.send([EIO.ping])
      rounds.push([now, from, to])
      this.#awaiting.set(now, new Set(ping.map((s) => s.eid)))
    }
    const keep = rounds.filter(([at], i) => at + timeout > now || i === rounds.length - 1)
    for (const at of this.#awaiting.keys()) if (!keep.some((r) => r[0] === at)) this.#awaiting.delete(at)
    if (keep.length !== rounds.length || ping.length) {
      this.#rounds = keep
      this.kv.put(PINGS_KEY, keep)
    }
  }

  /** A slot's length (ms). */
  #slot(): number {
    return this.config().SOCKETIO_PING_INTERVAL / PING_SLOTS
  }

  /**
   * The last slot already covered: the newest round's, at most one interval back (a session with no
   * ping recorded here — the object lost its rounds — is pinged at once, then with the object's round).
   */
  #from(rounds: Round[], now: number, slot: number): number {
    return Math.max(rounds.at(-1)?.[2] ?? -Infinity, Math.floor(now / slot) - PING_SLOTS)
  }

  /** When a session times out if nothing changes: a probe that never completes, a connection that joins no namespace. */
  #timeoutOf(s: WebSocketTransport): number | undefined {
    if (s.state.probing) return s.state.connectedAt + UPGRADE_TIMEOUT
    if (!Object.keys(s.state.nsps).length) return s.state.connectedAt + this.config().SOCKETIO_CONNECT_TIMEOUT
    return undefined
  }

  /** Recent ping rounds, from memory or storage (rounds stored in another shape are dropped). */
  #pings(): Round[] {
    if (this.#rounds) return this.#rounds
    const stored = this.kv.get<unknown[]>(PINGS_KEY) ?? []
    return (this.#rounds = stored.filter((r): r is Round => Array.isArray(r) && r.length === 3))
  }
}

/** The slot of a session's first ping: the last slot starting no later than an interval after its open. */
function firstSlotOf(s: WebSocketTransport, slot: number): number {
  return Math.floor(s.state.connectedAt / slot) + PING_SLOTS
}

/**
 * Whether a session first pinged at slot `first` is pinged in the slots `(from, to]`: its first
 * slot, or a round slot (a multiple of PING_SLOTS) after it.
 */
export function pinged(first: number, from: number, to: number): boolean {
  if (to < first) return false
  if (first > from) return true
  const round = to - (to % PING_SLOTS)
  return round > from && round > first
}

/** The first slot after `from` in which a session first pinged at slot `first` is pinged. */
export function nextSlot(first: number, from: number): number {
  if (first > from) return first
  return Math.ceil((from + 1) / PING_SLOTS) * PING_SLOTS
}
