/**
 * A D1 binding that records every round trip it makes to the database: each statement run on its
 * own (`first`, `all`, `run`, `raw`), each `batch` (one round trip however many statements it
 * holds) and each `exec`. Everything is passed to the real binding; only the counting is added.
 * Give it to the app in place of `env.DB` to pin how many round trips a request costs.
 */
export interface CountingD1 {
  /** The binding to hand to the app (`{ ...env, DB: counted.binding }`). */
  binding: D1Database
  /** One entry per round trip, in order: the SQL, or `batch[sql; sql; …]`. */
  trips: string[]
}

export function countingD1(real: D1Database): CountingD1 {
  const trips: string[] = []
  const realOf = new WeakMap<object, D1PreparedStatement>()
  const sqlOf = new WeakMap<object, string>()
  const oneLine = (sql: string) => sql.replace(/\s+/g, ' ').trim()

  function statement(stmt: D1PreparedStatement, sql: string): D1PreparedStatement {
    const counted = (run: () => Promise<unknown>) => {
      trips.push(oneLine(sql))
      return run()
    }
    const wrapped = {
      bind: (...values: unknown[]) => statement(stmt.bind(...values), sql),
      first: (column?: string) => counted(() => (column === undefined ? stmt.first() : stmt.first(column))),
      all: () => counted(() => stmt.all()),
      run: () => counted(() => stmt.run()),
      raw: (options?: { columnNames?: boolean }) => counted(() => stmt.raw(options as never)),
    } as unknown as D1PreparedStatement
    realOf.set(wrapped, stmt)
    sqlOf.set(wrapped, sql)
    return wrapped
  }

  const binding = {
    prepare: (sql: string) => statement(real.prepare(sql), sql),
    batch: (statements: D1PreparedStatement[]) => {
      trips.push(`batch[${statements.map((s) => oneLine(sqlOf.get(s) ?? '?')).join('; ')}]`)
      return real.batch(statements.map((s) => realOf.get(s) ?? s))
    },
    exec: (sql: string) => {
      trips.push(oneLine(sql))
      return real.exec(sql)
    },
    dump: () => real.dump(),
    withSession: () => {
      throw new Error('countingD1: withSession is not counted')
    },
  } as unknown as D1Database
  return { binding, trips }
}
