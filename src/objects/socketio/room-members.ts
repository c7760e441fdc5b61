/** The room namespace's sockets by user, kept by the room's object (it runs every CONNECT and leave). */
const SCHEMA = `CREATE TABLE IF NOT EXISTS room_members (
  sid TEXT PRIMARY KEY, identity TEXT NOT NULL, name TEXT NOT NULL)`

/**
 * Who is in a conference room, per Socket.IO socket, wherever the socket is held (the room's own
 * object or a home object following it): the room core counts a user's connections from it for
 * presence (`presence.joined` on the first, `presence.left` after the last). Stored, so the count
 * survives hibernation and eviction.
 */
export class RoomMembers {
  readonly #sql: SqlStorage
  constructor(sql: SqlStorage) {
    this.#sql = sql
    sql.exec(SCHEMA)
  }

  /** Socket `sid` of user `identity` joined. */
  add(sid: string, identity: string, name: string): void {
    this.#sql.exec(
      'INSERT OR REPLACE INTO room_members (sid, identity, name) VALUES (?, ?, ?)',
      sid,
      identity,
      name,
    )
  }

  /** Socket `sid` left; answers whether it was counted. */
  remove(sid: string): boolean {
    return this.#sql.exec('DELETE FROM room_members WHERE sid = ? RETURNING sid', sid).toArray().length > 0
  }

  /** How many of the room's sockets are user `identity`'s. */
  count(identity: string): number {
    return this.#sql
      .exec<{ n: number }>('SELECT count(*) AS n FROM room_members WHERE identity = ?', identity)
      .one().n
  }
}

const members = new WeakMap<DurableObjectState, RoomMembers>()

/** The members table of the object whose state is `ctx` (made on first use). */
export function roomMembers(ctx: DurableObjectState): RoomMembers {
  let m = members.get(ctx)
  if (!m) members.set(ctx, (m = new RoomMembers(ctx.storage.sql)))
  return m
}
