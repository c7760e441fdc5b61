import { FanOut } from './fanout'
import { logEvent } from './log'

/**
 * Rooms larger than one object. A room's own object (the root, the one the Worker publishes to)
 * holds up to its connection limit itself; the Worker opens later sockets in shard objects of the
 * same class named `<room>#1`, `<room>#2`, … (placed by the root, added as the room grows), each
 * holding up to the same limit. The root feeds its shards through the fan-out module (topic
 * `shard`: one delivery per shard per turn, in the root's one order), and each shard reports its
 * sockets' arrivals and departures to the root in one call per turn. Any Channel can use it: the
 * root side is `ShardRoot`, the shard side `ShardMember`; what a room says (its frames, its
 * effects) stays in the room.
 */

/** The response header with which a full root names the shard a new socket should open in. */
export const SHARD_HEADER = 'x-switchboard-shard'
/** The request header that tells the root the shard it placed a socket in was full. */
export const FULL_HEADER = 'x-switchboard-full'

const SEP = '#'
/** The fan-out topic a root publishes its shards' items on. */
const TOPIC = 'shard'
/** How long a placement may take to land in its shard before it no longer counts against it (ms). */
const PLACEMENT_TTL_MS = 10_000

/** The name of shard `k` (≥ 1) of room `root`. */
export function shardName(root: string, k: number): string {
  return `${root}${SEP}${k}`
}

/** The room a shard belongs to, or undefined when `name` is a room's own object. */
export function rootOf(name: string): string | undefined {
  const at = name.lastIndexOf(SEP)
  return at > 0 && /^\d+$/.test(name.slice(at + 1)) ? name.slice(0, at) : undefined
}

/**
 * What a root sends its shards, in its one order: a frame for every socket of the shard that was
 * welcomed (`to`: only that socket, which counts as welcomed from then on; `except`: all but that
 * one), and an effect the shard applies after sending it (a kick, a role change, the end).
 */
export interface ShardItem<E> {
  frame?: string
  to?: string
  except?: string
  effect?: E
}

/** A socket a shard reports: its connection id and whatever the room needs to know of it. */
export interface ShardSocket {
  conn: string
}

/** One turn of a shard's changes, sent to its root in one call. */
export interface ShardReport<S extends ShardSocket> {
  /** Sockets opened since the last report (each waits for its welcome from the root). */
  joins: S[]
  /** Sockets closed since the last report. */
  leaves: S[]
  /** Sockets the shard holds now. */
  count: number
}

/** What a root needs from its room. */
export interface ShardRootOptions<E> {
  sql: SqlStorage
  /** The root's own name (the room). */
  name(): string
  /** Sockets one shard may hold (the room's connection limit). */
  limit(): number
  /** Delivers one turn's items to `shard`; answers how many sockets it holds (0 drops it). */
  deliver(shard: string, items: ShardItem<E>[]): Promise<number>
}

const COUNTS = `CREATE TABLE IF NOT EXISTS shard_counts (shard TEXT PRIMARY KEY, conns INTEGER NOT NULL)`

/**
 * The root's side: where the next socket goes (`place`), what every shard is told (`publish`,
 * through FanOut), and what the shards report (`reported`). Shard socket counts are kept in the
 * root's storage (`shard_counts`), so placement survives hibernation.
 */
export class ShardRoot<E> {
  readonly #opts: ShardRootOptions<E>
  readonly #fanout: FanOut<ShardItem<E>>
  readonly #counts = new Map<string, number>()
  /** Placements not yet confirmed by their shard's report (times placed). */
  readonly #placed = new Map<string, number[]>()
  /** Shards the Worker found full; they take no placement until they report again. */
  readonly #full = new Set<string>()
  /** Reports with new sockets per shard, so a delivery answered 0 meanwhile does not drop it. */
  readonly #arrivals = new Map<string, number>()

  constructor(opts: ShardRootOptions<E>) {
    this.#opts = opts
    opts.sql.exec(COUNTS)
    for (const r of opts.sql.exec<{ shard: string; conns: number }>(`SELECT shard, conns FROM shard_counts`))
      this.#counts.set(r.shard, r.conns)
    this.#fanout = new FanOut<ShardItem<E>>(opts.sql, {
      send: async (shard, _topic, items) => {
        const arrivals = this.#arrivals.get(shard) ?? 0
        const held = await opts.deliver(shard, items)
        if (held > 0 || (this.#arrivals.get(shard) ?? 0) !== arrivals) return Math.max(held, 1)
        this.#setCount(shard, 0)
        return 0
      },
    })
  }

  /**
   * The shard a new socket should open in: the first whose reported sockets plus placements
   * still landing are under the limit (`full`: a shard that just refused one as full).
   */
  place(full?: string | null): string {
    if (full && rootOf(full) === this.#opts.name()) this.#full.add(full)
    const limit = this.#opts.limit()
    const now = Date.now()
    for (let k = 1; ; k++) {
      const shard = shardName(this.#opts.name(), k)
      if (this.#full.has(shard)) continue
      const placed = (this.#placed.get(shard) ?? []).filter((at) => now - at < PLACEMENT_TTL_MS)
      if ((this.#counts.get(shard) ?? 0) + placed.length >= limit) continue
      placed.push(now)
      this.#placed.set(shard, placed)
      return shard
    }
  }

  /** Queues `item` for every shard holding sockets: one delivery per shard per turn, in order. */
  publish(item: ShardItem<E>): void {
    this.#fanout.publish(TOPIC, item)
  }

  /** Queues `item` for `shard` only (e.g. the welcome of one of its sockets), in the same order. */
  publishTo(shard: string, item: ShardItem<E>): void {
    this.#fanout.publishTo(TOPIC, shard, item)
  }

  /**
   * Takes one report of `shard` (before the room handles its joins and leaves): its new sockets
   * make it followed (it gets every item published from now on), no socket left drops it.
   */
  reported<S extends ShardSocket>(shard: string, report: ShardReport<S>): void {
    if (rootOf(shard) !== this.#opts.name()) throw new Error(`${shard} is not a shard of this room`)
    this.#full.delete(shard)
    const placed = this.#placed.get(shard)
    if (placed) placed.splice(0, report.joins.length)
    this.#setCount(shard, report.count)
    const followed = this.#fanout.homes(TOPIC).has(shard)
    if (report.joins.length) {
      this.#arrivals.set(shard, (this.#arrivals.get(shard) ?? 0) + 1)
      if (!followed) this.#fanout.follow(TOPIC, shard, shard)
    } else if (report.count === 0 && followed) this.#fanout.unfollow(TOPIC, shard, shard)
  }

  /** Sockets the shards held at their last reports. */
  get remote(): number {
    let n = 0
    for (const c of this.#counts.values()) n += c
    return n
  }

  /** The shards holding sockets now (those the root delivers to). */
  shards(): string[] {
    return [...this.#fanout.homes(TOPIC)]
  }

  /** Resolves once every item published so far reached `shard`. */
  settled(shard: string): Promise<void> {
    return this.#fanout.settled(TOPIC, shard)
  }

  #setCount(shard: string, n: number): void {
    if (n > 0) {
      this.#counts.set(shard, n)
      this.#opts.sql.exec(
        `INSERT INTO shard_counts (shard, conns) VALUES (?, ?) ON CONFLICT (shard) DO UPDATE SET conns = excluded.conns`,
        shard,
        n,
      )
    } else if (this.#counts.delete(shard)) {
      this.#opts.sql.exec(`DELETE FROM shard_counts WHERE shard = ?`, shard)
    }
  }
}

/** What a shard needs from its room. */
export interface ShardMemberOptions<S extends ShardSocket> {
  /** Sends one turn's report to the root (an RPC). */
  report(report: ShardReport<S>): Promise<void>
  /** Sockets the shard holds now. */
  count(): number
}

/** How the shard's room sends items to its sockets and applies their effects. */
export interface ShardSockets<C extends { id: string }, E> {
  all(): Iterable<C>
  send(conn: C, frame: string): void
  apply(effect: E): void | Promise<void>
}

/**
 * A shard's side: it reports its sockets' arrivals and departures to the root, one call in
 * flight at a time (what happens meanwhile goes in the next), and sends the root's items to its
 * sockets. A new socket gets nothing before its welcome from the root: its view of the room
 * starts there, in the root's order.
 */
export class ShardMember<S extends ShardSocket> {
  readonly #opts: ShardMemberOptions<S>
  #joins: S[] = []
  #leaves: S[] = []
  #chain: Promise<void> = Promise.resolve()
  #scheduled = false
  /** Sockets waiting for their welcome (memory only: after a wake every socket counts as welcomed). */
  readonly #waiting = new Set<string>()

  constructor(opts: ShardMemberOptions<S>) {
    this.#opts = opts
  }

  /** A socket opened here; the root will welcome it. */
  joined(socket: S): void {
    this.#waiting.add(socket.conn)
    this.#joins.push(socket)
    this.#flush()
  }

  /** A socket closed here. */
  left(socket: S): void {
    this.#waiting.delete(socket.conn)
    this.#leaves.push(socket)
    this.#flush()
  }

  /** Sends one delivery's items to this shard's sockets, in order; answers the sockets held. */
  async deliver<C extends { id: string }, E>(
    items: ShardItem<E>[],
    sockets: ShardSockets<C, E>,
  ): Promise<number> {
    for (const item of items) {
      if (item.frame !== undefined) {
        if (item.to !== undefined) {
          this.#waiting.delete(item.to)
          for (const c of sockets.all()) if (c.id === item.to) sockets.send(c, item.frame)
        } else
          for (const c of sockets.all())
            if (c.id !== item.except && !this.#waiting.has(c.id)) sockets.send(c, item.frame)
      }
      if (item.effect !== undefined) await sockets.apply(item.effect)
    }
    return this.#opts.count()
  }

  #flush(): void {
    if (this.#scheduled) return
    this.#scheduled = true
    this.#chain = this.#chain.then(async () => {
      this.#scheduled = false
      const joins = this.#joins.splice(0)
      const leaves = this.#leaves.splice(0)
      if (!joins.length && !leaves.length) return
      try {
        await this.#opts.report({ joins, leaves, count: this.#opts.count() })
      } catch (err) {
        // Keep them for the next report, which a retry sends if nothing else does first.
        logEvent('error', 'shard report', { error: err })
        this.#joins.unshift(...joins)
        this.#leaves.unshift(...leaves)
        setTimeout(() => this.#flush(), 1_000)
      }
    })
  }
}
