import { LazyTables } from './lazy-tables'
import { logEvent } from './log'

/** The table every object keeps its followers in (created by its first follower). */
const SCHEMA = `CREATE TABLE IF NOT EXISTS fanout_followers (
  topic TEXT NOT NULL, home TEXT NOT NULL, member TEXT NOT NULL, conns INTEGER NOT NULL,
  PRIMARY KEY (topic, home, member))`

/** A table an older version kept followers in, and the statement that copies its rows over. */
export interface LegacyFollowers {
  table: string
  /** `INSERT INTO fanout_followers (topic, home, member, conns) SELECT … FROM <table>`. */
  copy: string
}

export interface FanOutOptions<T> {
  /**
   * Delivers one turn's items for `topic` to the object `home` (in order); answers how many of
   * its subscribers are still there. 0 drops the home from the topic.
   */
  send(home: string, topic: string, items: T[]): Promise<number>
  legacy?: LegacyFollowers
}

/**
 * Fan-out across Durable Objects (SPEC §5.1), one module for chats and Socket.IO: a publishing
 * object stores, per topic, which other objects ("homes") hold subscribers — counted per member
 * (a user, a session) — and sends each home one delivery per turn, the turn's items together and
 * the turns in order. A home that answers it holds no subscriber any more is dropped.
 * The rows live in one table (`fanout_followers`), so follows survive hibernation and eviction.
 */
export class FanOut<T> {
  readonly #sql: SqlStorage
  readonly #opts: FanOutOptions<T>
  readonly #table: LazyTables
  /** Homes per topic (loaded lazily from storage). */
  readonly #homes = new Map<string, Set<string>>()
  /** Items waiting for the next delivery to each home, and the chain keeping deliveries in order. */
  readonly #queues = new Map<string, { items: T[]; chain: Promise<void>; scheduled: boolean }>()

  constructor(sql: SqlStorage, opts: FanOutOptions<T>) {
    this.#sql = sql
    this.#opts = opts
    this.#table = new LazyTables(sql, 'fanout_followers', SCHEMA, () => this.#homes.clear())
    const legacy = opts.legacy
    if (
      legacy &&
      sql.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`, legacy.table).toArray().length
    ) {
      this.#table.create()
      sql.exec(legacy.copy)
      sql.exec(`DROP TABLE ${legacy.table}`)
    }
  }

  /** One more subscriber connection of `member` in object `home` follows `topic`. */
  follow(topic: string, home: string, member: string): void {
    this.#table.create()
    this.#sql.exec(
      `INSERT INTO fanout_followers (topic, home, member, conns) VALUES (?, ?, ?, 1)
       ON CONFLICT (topic, home, member) DO UPDATE SET conns = conns + 1`,
      topic,
      home,
      member,
    )
    this.homes(topic).add(home)
  }

  /** One subscriber connection of `member` in `home` stopped following `topic`. */
  unfollow(topic: string, home: string, member: string): void {
    if (!this.#table.exist) return
    this.#sql.exec(
      `UPDATE fanout_followers SET conns = conns - 1 WHERE topic = ? AND home = ? AND member = ?`,
      topic,
      home,
      member,
    )
    this.#sql.exec(`DELETE FROM fanout_followers WHERE topic = ? AND conns <= 0`, topic)
    if (!this.#count(`topic = ? AND home = ?`, topic, home)) this.homes(topic).delete(home)
  }

  /** `member` stops following `topic` everywhere; answers the homes it was followed from. */
  dropMember(topic: string, member: string): string[] {
    if (!this.#table.exist) return []
    const homes = this.#sql
      .exec<{ home: string }>(
        `DELETE FROM fanout_followers WHERE topic = ? AND member = ? RETURNING home`,
        topic,
        member,
      )
      .toArray()
      .map((r) => r.home)
    this.#homes.delete(topic)
    return homes
  }

  /** Subscriber connections following `topic` from other objects (of `member` only, if given). */
  connections(topic: string, member?: string): number {
    return member === undefined
      ? this.#count(`topic = ?`, topic)
      : this.#count(`topic = ? AND member = ?`, topic, member)
  }

  /** Subscriber connections following `topic` from other objects, per member. */
  members(topic: string): { member: string; conns: number }[] {
    if (!this.#table.exist) return []
    return this.#sql
      .exec<{ member: string; conns: number }>(
        `SELECT member, sum(conns) AS conns FROM fanout_followers WHERE topic = ? GROUP BY member HAVING sum(conns) > 0`,
        topic,
      )
      .toArray()
  }

  /** The objects holding subscribers of `topic`. */
  homes(topic: string): Set<string> {
    let homes = this.#homes.get(topic)
    if (!homes) {
      homes = new Set(
        !this.#table.exist
          ? []
          : this.#sql
              .exec<{ home: string }>(`SELECT DISTINCT home FROM fanout_followers WHERE topic = ?`, topic)
              .toArray()
              .map((r) => r.home),
      )
      this.#homes.set(topic, homes)
    }
    return homes
  }

  /** Resolves once every delivery queued so far for `home` on `topic` was sent. */
  async settled(topic: string, home: string): Promise<void> {
    await this.#queues.get(`${topic}\n${home}`)?.chain
  }

  /** Queues `item` for every home following `topic`: one delivery per home per turn, in order. */
  publish(topic: string, item: T): void {
    for (const home of this.homes(topic)) this.#queue(topic, home, item)
  }

  /** Queues `item` for one home following `topic` only, in order with what `publish` queues for it. */
  publishTo(topic: string, home: string, item: T): void {
    if (this.homes(topic).has(home)) this.#queue(topic, home, item)
  }

  #queue(topic: string, home: string, item: T): void {
    const key = `${topic}\n${home}`
    let q = this.#queues.get(key)
    if (!q) this.#queues.set(key, (q = { items: [], chain: Promise.resolve(), scheduled: false }))
    q.items.push(item)
    if (q.scheduled) return
    q.scheduled = true
    const queue = q
    queue.chain = queue.chain.then(async () => {
      queue.scheduled = false
      const items = queue.items.splice(0)
      try {
        if ((await this.#opts.send(home, topic, items)) === 0) this.#dropHome(topic, home)
      } catch (err) {
        logEvent('error', 'fanout', { topic, home, error: err })
      }
      if (!queue.scheduled && !queue.items.length) this.#queues.delete(key)
    })
  }

  #dropHome(topic: string, home: string): void {
    if (this.#table.exist)
      this.#sql.exec(`DELETE FROM fanout_followers WHERE topic = ? AND home = ?`, topic, home)
    this.#homes.get(topic)?.delete(home)
  }

  #count(where: string, ...params: SqlStorageValue[]): number {
    if (!this.#table.exist) return 0
    return (
      this.#sql
        .exec<{ n: number | null }>(`SELECT sum(conns) AS n FROM fanout_followers WHERE ${where}`, ...params)
        .one().n ?? 0
    )
  }
}
