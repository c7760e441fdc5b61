import { LazyTables } from '../lazy-tables'
import type { AckAsk } from './namespace'

/** The tables (created by the first ack an object asks or takes over). */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS sio_acks (
  eid TEXT NOT NULL, nsp TEXT NOT NULL, id INTEGER NOT NULL,
  purpose TEXT NOT NULL, ctx TEXT, expires INTEGER NOT NULL,
  PRIMARY KEY (eid, nsp, id));
CREATE INDEX IF NOT EXISTS sio_acks_expires ON sio_acks (expires);
CREATE TABLE IF NOT EXISTS sio_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`

/** A pending acknowledgement as moved between objects (a session handed over at its upgrade). */
export interface PendingAck {
  nsp: string
  id: number
  purpose: string
  ctx: string | null
  expires: number
}

/** A pending acknowledgement as stored: what the ack will mean once the client sends it. */
interface AckRow {
  purpose: string
  ctx: string | null
  [key: string]: SqlStorageValue
}

/**
 * Server-initiated acknowledgements the object holding the sockets waits for, in its SQLite
 * storage so that they survive hibernation and eviction: one row per (Engine.IO session,
 * namespace, ack id) with its purpose, context and expiry. Ids come from one durable counter per
 * object, so an id is never reused, even after a restart (only an object that holds no session
 * and owes no ack erases its storage, counter included); one broadcast uses one id for every
 * socket it asks.
 */
export class PendingAcks {
  #next: number | undefined
  /** Created by the first ack asked or imported (a home object that asks none keeps no table). */
  readonly #tables: LazyTables

  constructor(readonly sql: SqlStorage) {
    this.#tables = new LazyTables(sql, 'sio_acks', SCHEMA, () => (this.#next = undefined))
  }

  /** The next ack id, not taken. */
  #peek(): number {
    if (this.#next === undefined) {
      const row = this.#tables.exist
        ? this.sql.exec<{ value: string }>(`SELECT value FROM sio_meta WHERE key = 'ack'`).toArray()[0]
        : undefined
      this.#next = row ? Number(row.value) : 1
    }
    return this.#next
  }

  /** A fresh ack id (durable: bumped in storage before use). */
  nextId(): number {
    const id = this.#peek()
    this.#next = id + 1
    this.#tables.create()
    this.sql.exec(`INSERT OR REPLACE INTO sio_meta (key, value) VALUES ('ack', ?)`, String(this.#next))
    return id
  }

  /** Records that session `eid` owes an ack `id` on `nsp` until `expires` (epoch ms). */
  add(eid: string, nsp: string, id: number, ask: AckAsk, expires: number): void {
    this.#tables.create()
    this.sql.exec(
      `INSERT OR REPLACE INTO sio_acks (eid, nsp, id, purpose, ctx, expires) VALUES (?, ?, ?, ?, ?, ?)`,
      eid,
      nsp,
      id,
      ask.purpose,
      ask.ctx ? JSON.stringify(ask.ctx) : null,
      expires,
    )
  }

  /** Removes and answers the pending ack, or undefined when it is unknown, another session's or expired. */
  take(eid: string, nsp: string, id: number, now = Date.now()): AckAsk | undefined {
    if (!this.#tables.exist) return undefined
    const row = this.sql
      .exec<AckRow>(
        `DELETE FROM sio_acks WHERE eid = ? AND nsp = ? AND id = ? AND expires > ? RETURNING purpose, ctx`,
        eid,
        nsp,
        id,
        now,
      )
      .toArray()[0]
    if (!row) return undefined
    return {
      purpose: row.purpose,
      ...(row.ctx ? { ctx: JSON.parse(row.ctx) as Record<string, unknown> } : {}),
    }
  }

  /** Removes and answers every ack session `eid` owes (it moves to another object). */
  export(eid: string): PendingAck[] {
    if (!this.#tables.exist) return []
    return this.sql
      .exec<PendingAck & AckRow>(
        `DELETE FROM sio_acks WHERE eid = ? RETURNING nsp, id, purpose, ctx, expires`,
        eid,
      )
      .toArray()
      .map(({ nsp, id, purpose, ctx, expires }) => ({ nsp, id, purpose, ctx, expires }))
  }

  /** Takes over acks session `eid` owed another object; later ids here stay above theirs. */
  import(eid: string, acks: PendingAck[]): void {
    if (!acks.length) return
    this.#tables.create()
    for (const a of acks) {
      this.sql.exec(
        `INSERT OR REPLACE INTO sio_acks (eid, nsp, id, purpose, ctx, expires) VALUES (?, ?, ?, ?, ?, ?)`,
        eid,
        a.nsp,
        a.id,
        a.purpose,
        a.ctx,
        a.expires,
      )
    }
    // Ids are never reused: the counter moves past the imported ones.
    const top = Math.max(0, ...acks.map((a) => a.id))
    if (top >= this.#peek()) {
      this.#next = top + 1
      this.sql.exec(`INSERT OR REPLACE INTO sio_meta (key, value) VALUES ('ack', ?)`, String(this.#next))
    }
  }

  /** Forgets what a session (or one of its namespaces) still owes: it left. */
  drop(eid: string, nsp?: string): void {
    if (!this.#tables.exist) return
    if (nsp === undefined) this.sql.exec(`DELETE FROM sio_acks WHERE eid = ?`, eid)
    else this.sql.exec(`DELETE FROM sio_acks WHERE eid = ? AND nsp = ?`, eid, nsp)
  }

  /** Drops expired acks (a late ACK is then answered as unknown); answers how many. */
  expire(now = Date.now()): number {
    if (!this.#tables.exist) return 0
    return this.sql.exec(`DELETE FROM sio_acks WHERE expires <= ?`, now).rowsWritten
  }

  /** When the next pending ack expires, if any. */
  nextExpiry(): number | undefined {
    if (!this.#tables.exist) return undefined
    const row = this.sql.exec<{ at: number | null }>(`SELECT min(expires) AS at FROM sio_acks`).one()
    return row.at ?? undefined
  }
}
