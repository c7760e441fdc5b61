import type { Config } from '../../worker/config'
import { EIO } from './codec'
import type { WebSocketTransport } from './transport'
import { UPGRADE_TIMEOUT } from './upgrade'

/** Storage key of the recent ping rounds' times (so pong deadlines survive hibernation). */
const PINGS_KEY = 'sio:pings'

/**
 * The deadlines of an object's WebSocket sessions, from one alarm for all of them: a ping round
 * every `SOCKETIO_PING_INTERVAL`, each pong due `SOCKETIO_PING_TIMEOUT` after its round, a
 * connection that joins no namespace closed after `SOCKETIO_CONNECT_TIMEOUT`, and an upgrade
 * probe that never completes after UPGRADE_TIMEOUT. Pongs arrive while the object is still awake
 * from the ping, so idle objects hibernate between rounds; a pong's time is kept in the socket's
 * attachment and the rounds in storage, so a deadline checked after a hibernation still knows
 * both. (Long-polling sessions keep their own timers: polling.ts.)
 */
export class Heartbeat {
  /** Sessions pinged in the round at `#awaitingRound` that have not answered yet. */
  #awaiting = new Set<string>()
  #awaitingRound: number | undefined
  /** Recent ping rounds (epoch ms), oldest first; mirrored in storage. */
  #rounds: number[] | undefined

  constructor(
    readonly kv: SyncKvStorage,
    readonly config: () => Config,
    /** Closes a session whose deadline passed. */
    readonly close: (session: WebSocketTransport, reason: string) => void,
  ) {}

  /** A pong: recorded in the attachment; answers whether the round is now complete (re-arm). */
  pong(session: WebSocketTransport): boolean {
    try {
      session.save({ ...session.state, pong: Date.now() })
    } catch {
      /* a full attachment keeps its previous pong: the deadline then closes it, as for a silent client */
    }
    return this.#awaiting.delete(session.eid) && !this.#awaiting.size
  }

  /** The session closed: no pong is awaited from it. */
  forget(eid: string): void {
    this.#awaiting.delete(eid)
  }

  /** The earliest deadline among `sessions` (the next round, an open pong deadline, a timeout); Infinity if none. */
  next(sessions: Iterable<WebSocketTransport>, now = Date.now()): number {
    const { SOCKETIO_PING_INTERVAL: interval, SOCKETIO_PING_TIMEOUT: timeout } = this.config()
    let next = Infinity
    let pinged = false
    for (const s of sessions) {
      next = Math.min(next, this.#timeoutOf(s) ?? Infinity)
      pinged ||= !s.state.probing
    }
    if (!pinged) return next
    const rounds = this.#pings()
    const last = rounds.at(-1)
    next = Math.min(next, last !== undefined && last > now - 2 * interval ? last + interval : now + interval)
    for (const p of rounds) {
      const known = p === this.#awaitingRound && !this.#awaiting.size
      if (p + timeout > now && !known) next = Math.min(next, p + timeout)
    }
    return next
  }

  /**
   * Closes sessions whose pong is overdue (the newest round whose timeout passed), that joined no
   * namespace in time, or whose upgrade probe never completed; then pings the rest once per interval.
   */
  tick(sessions: Iterable<WebSocketTransport>, now = Date.now()): void {
    const { SOCKETIO_PING_INTERVAL: interval, SOCKETIO_PING_TIMEOUT: timeout } = this.config()
    const rounds = this.#pings()
    const due = rounds.filter((p) => p + timeout <= now).at(-1)
    const live: WebSocketTransport[] = []
    for (const s of sessions) {
      const overdue = !s.state.probing && due !== undefined && s.state.connectedAt < due
      if (overdue && (s.state.pong ?? 0) < due) this.close(s, 'ping timeout')
      else if (now >= (this.#timeoutOf(s) ?? Infinity)) this.close(s, 'connect timeout')
      else if (!s.state.probing) live.push(s)
    }
    const last = rounds.at(-1)
    if (live.length && (last === undefined || now >= last + interval)) {
      this.#awaiting = new Set(live.map((s) => s.eid))
      this.#awaitingRound = now
      for (const s of live) s.send([EIO.ping])
      rounds.push(now)
    }
    const keep = rounds.filter((p, i) => p + timeout > now || i === rounds.length - 1)
    if (keep.length !== rounds.length || keep.at(-1) === now) {
      this.#rounds = keep
      this.kv.put(PINGS_KEY, keep)
    }
  }

  /** When a session times out if nothing changes: a probe that never completes, a connection that joins no namespace. */
  #timeoutOf(s: WebSocketTransport): number | undefined {
    if (s.state.probing) return s.state.connectedAt + UPGRADE_TIMEOUT
    if (!Object.keys(s.state.nsps).length) return s.state.connectedAt + this.config().SOCKETIO_CONNECT_TIMEOUT
    return undefined
  }

  /** Recent ping rounds (epoch ms), from memory or storage. */
  #pings(): number[] {
    return (this.#rounds ??= (this.kv.get<number[]>(PINGS_KEY) ?? []).slice())
  }
}
