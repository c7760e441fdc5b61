/**
 * Presence with a reconnect grace, for the room core to call with every connection that opens or
 * closes in a room (README "Operations"): a user *joins* when their first connection opens and
 * *leaves* when their last one closes and none reopens within `graceMs` — so a page reload or a
 * network blip sends nothing. Pure and clock-free (every call takes `now`), so the caller decides
 * how it wakes for due leaves (a timer, or an alarm at `nextDueAt()`), and its state survives
 * hibernation through `pendingLeaves()` / `restore()`.
 */

/** A presence change to report (the core turns it into a `presence.*` event). */
export interface PresenceChange {
  type: 'presence.joined' | 'presence.left'
  room: string
  userId: string
  userName: string | null
  /** When the first connection opened / the last one closed (not when the grace ran out). */
  at: number
}

/** A leave waiting for its grace period to pass. Plain data: store it where the room keeps state. */
export interface PendingLeave {
  room: string
  userId: string
  userName: string | null
  leftAt: number
  dueAt: number
}

/** One open connection, as `restore` takes them. */
export interface OpenConnection {
  room: string
  userId: string
  userName?: string | null
  connectionId: string
}

const key = (room: string, userId: string) => `${room}\u0000${userId}`

export class PresenceDebouncer {
  readonly #graceMs: number
  /** Open connection ids per room and user. */
  readonly #open = new Map<
    string,
    { room: string; userId: string; userName: string | null; ids: Set<string> }
  >()
  readonly #pending = new Map<string, PendingLeave>()

  constructor(options: { graceMs: number }) {
    if (!(options.graceMs >= 0)) throw new Error('PresenceDebouncer: graceMs must be ≥ 0')
    this.#graceMs = options.graceMs
  }

  /**
   * A connection opened. Returns `presence.joined` when it is the user's first in the room and no
   * leave of theirs is pending (a reconnect within the grace cancels the leave and says nothing);
   * a leave already due is reported first.
   */
  connected(
    room: string,
    userId: string,
    connectionId: string,
    userName: string | null = null,
    now = Date.now(),
  ) {
    const out: PresenceChange[] = this.due(now, key(room, userId))
    const k = key(room, userId)
    let user = this.#open.get(k)
    if (!user) {
      user = { room, userId, userName, ids: new Set() }
      this.#open.set(k, user)
    }
    if (userName !== null) user.userName = userName
    const first = user.ids.size === 0
    user.ids.add(connectionId)
    if (first && !this.#pending.delete(k))
      out.push({ type: 'presence.joined', room, userId, userName: user.userName, at: now })
    return out
  }

  /**
   * A connection closed. When it was the user's last in the room, their leave becomes pending
   * (reported by `due` once `graceMs` has passed; at once with a grace of 0). Unknown ids are ignored.
   */
  disconnected(room: string, userId: string, connectionId: string, now = Date.now()): PresenceChange[] {
    const k = key(room, userId)
    const user = this.#open.get(k)
    if (!user || !user.ids.delete(connectionId) || user.ids.size > 0) return []
    this.#open.delete(k)
    this.#pending.set(k, { room, userId, userName: user.userName, leftAt: now, dueAt: now + this.#graceMs })
    return this.due(now, k)
  }

  /**
   * Marks a connection open without reporting anything: one announced before a wake that this
   * debouncer was not told of (callers that learn of open connections lazily rather than through
   * `restore`). As in `restore`, a pending leave of its user is dropped (they are connected).
   */
  adopt(c: OpenConnection): void {
    const k = key(c.room, c.userId)
    const user = this.#open.get(k) ?? {
      room: c.room,
      userId: c.userId,
      userName: c.userName ?? null,
      ids: new Set(),
    }
    if (c.userName) user.userName = c.userName
    user.ids.add(c.connectionId)
    this.#open.set(k, user)
    this.#pending.delete(k)
  }

  /** Leaves whose grace has passed by `now` (removed as they are returned), oldest first. */
  due(now = Date.now(), only?: string): PresenceChange[] {
    const out: PresenceChange[] = []
    for (const [k, p] of this.#pending) {
      if ((only !== undefined && k !== only) || p.dueAt > now) continue
      this.#pending.delete(k)
      out.push({ type: 'presence.left', room: p.room, userId: p.userId, userName: p.userName, at: p.leftAt })
    }
    return out.sort((a, b) => a.at - b.at)
  }

  /** When the next pending leave falls due (to set a timer or alarm); null when none is pending. */
  nextDueAt(): number | null {
    let next: number | null = null
    for (const p of this.#pending.values()) if (next === null || p.dueAt < next) next = p.dueAt
    return next
  }

  /** The pending leaves, to store across hibernation. */
  pendingLeaves(): PendingLeave[] {
    return [...this.#pending.values()]
  }

  /**
   * Rebuilds state after a wake from the connections still open and the stored pending leaves,
   * reporting nothing (those users were already announced). A pending leave whose user has an
   * open connection again is dropped.
   */
  restore(connections: Iterable<OpenConnection>, pending: Iterable<PendingLeave> = []): void {
    this.#open.clear()
    this.#pending.clear()
    for (const c of connections) this.adopt(c)
    for (const p of pending)
      if (!this.#open.has(key(p.room, p.userId))) this.#pending.set(key(p.room, p.userId), p)
  }
}
