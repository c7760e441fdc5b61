/**
 * Tables an object creates on its first write to them rather than when it starts: an object that
 * never writes them (a Socket.IO home object that asks no acknowledgement and has no followers)
 * keeps no schema at all, and an object whose storage was erased (`eraseStorage`) starts again
 * from nothing. Until the tables exist, reads answer as if they were empty (`exist` is false).
 * Whether they exist is looked up once and then kept: one owner per set of tables and object
 * (PendingAcks, FanOut), which creates them itself.
 */
export class LazyTables {
  readonly #sql: SqlStorage
  readonly #probe: string
  readonly #ddl: string
  readonly #forgotten: () => void
  #exist: boolean | undefined

  /**
   * `probe`: one table `ddl` creates, looked up once to learn whether they exist already;
   * `forgotten`: drops what the owner cached of the tables' rows, when the storage is erased.
   */
  constructor(sql: SqlStorage, probe: string, ddl: string, forgotten: () => void = () => {}) {
    this.#sql = sql
    this.#probe = probe
    this.#ddl = ddl
    this.#forgotten = forgotten
    let set = registry.get(sql)
    if (!set) registry.set(sql, (set = new Set()))
    set.add(this)
  }

  /** Whether the tables exist (a read of one that does not answers as if it were empty). */
  get exist(): boolean {
    return (this.#exist ??=
      this.#sql.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`, this.#probe).toArray()
        .length > 0)
  }

  /** Creates the tables (before a write), unless they exist. */
  create(): void {
    if (this.exist) return
    this.#sql.exec(this.#ddl)
    this.#exist = true
  }

  /** The object's storage was erased: the tables are gone until the next write. */
  forget(): void {
    this.#exist = false
    this.#forgotten()
  }
}

/** Every object's lazy tables (keyed by its `storage.sql`, one object per object), for `eraseStorage`. */
const registry = new WeakMap<SqlStorage, Set<LazyTables>>()

/**
 * Erases everything an object stored (its tables, key-value entries and alarm), so that it
 * leaves nothing behind; its lazy tables are created again by their next write.
 */
export async function eraseStorage(storage: DurableObjectStorage): Promise<void> {
  for (const tables of registry.get(storage.sql) ?? []) tables.forget()
  // Both issued at once, in this order (deleteAll takes the alarm too from compatibility date 2026-02-24).
  await Promise.all([storage.deleteAlarm(), storage.deleteAll()])
}
