/** One person in a live session, as `welcome` lists them. */
export interface Viewer {
  user_id: string
  name: string
  role: string
}

/** Who a socket is, as presence counts it. */
export interface Watcher {
  userId: string
  name: string
  role: string
}

interface Entry {
  name: string
  role: string
  /** Sockets of this user in the room's own object. */
  local: number
  /** Sockets of this user in the room's shards. */
  remote: number
}

const SCHEMA = `CREATE TABLE IF NOT EXISTS live_shard_users (
  shard TEXT NOT NULL, user_id TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL, conns INTEGER NOT NULL,
  PRIMARY KEY (shard, user_id))`

/**
 * Who watches a live session, across its objects: the root's own sockets (counted from their
 * attachments when the object wakes) and its shards' (as they report them, kept per shard in
 * `live_shard_users`). A user is present while any of their sockets is open, wherever it is;
 * the viewer count is the number of present users.
 */
export class LivePresence {
  readonly #sql: SqlStorage
  readonly #users = new Map<string, Entry>()

  /** `local`: the root's own open sockets now (read once, when the object wakes). */
  constructor(sql: SqlStorage, local: Iterable<Watcher>) {
    this.#sql = sql
    sql.exec(SCHEMA)
    for (const w of local) this.#entry(w).local++
    const rows = sql.exec<{ user_id: string; name: string; role: string; conns: number }>(
      `SELECT user_id, min(name) AS name, min(role) AS role, sum(conns) AS conns FROM live_shard_users GROUP BY user_id`,
    )
    for (const r of rows) this.#entry({ userId: r.user_id, name: r.name, role: r.role }).remote += r.conns
  }

  /** One more socket of `who` (in `shard`, or in the root); answers whether it is the user's first. */
  add(who: Watcher, shard?: string): boolean {
    const e = this.#entry(who)
    if (shard === undefined) e.local++
    else {
      e.remote++
      this.#sql.exec(
        `INSERT INTO live_shard_users (shard, user_id, name, role, conns) VALUES (?, ?, ?, ?, 1)
         ON CONFLICT (shard, user_id) DO UPDATE SET conns = conns + 1`,
        shard,
        who.userId,
        who.name,
        who.role,
      )
    }
    return e.local + e.remote === 1
  }

  /** One socket of `userId` closed (in `shard`, or in the root); answers whether it was the user's last. */
  remove(userId: string, shard?: string): boolean {
    const e = this.#users.get(userId)
    if (!e) return false
    if (shard === undefined) e.local = Math.max(0, e.local - 1)
    else {
      e.remote = Math.max(0, e.remote - 1)
      this.#sql.exec(
        `UPDATE live_shard_users SET conns = conns - 1 WHERE shard = ? AND user_id = ?`,
        shard,
        userId,
      )
      this.#sql.exec(
        `DELETE FROM live_shard_users WHERE shard = ? AND user_id = ? AND conns <= 0`,
        shard,
        userId,
      )
    }
    if (e.local + e.remote > 0) return false
    this.#users.delete(userId)
    return true
  }

  /** The user's role changed (wherever their sockets are). */
  setRole(userId: string, role: string): void {
    const e = this.#users.get(userId)
    if (e) e.role = role
    this.#sql.exec(`UPDATE live_shard_users SET role = ? WHERE user_id = ?`, role, userId)
  }

  /** The number of users present. */
  get count(): number {
    return this.#users.size
  }

  /** Who is present: one entry per user. */
  list(): Viewer[] {
    return [...this.#users].map(([user_id, e]) => ({ user_id, name: e.name, role: e.role }))
  }

  #entry(w: Watcher): Entry {
    let e = this.#users.get(w.userId)
    if (!e) this.#users.set(w.userId, (e = { name: w.name, role: w.role, local: 0, remote: 0 }))
    return e
  }
}
