import { drizzle } from 'drizzle-orm/d1'
import * as schema from './schema'

const clients = new WeakMap<D1Database, ReturnType<typeof create>>()
const create = (d1: D1Database) => drizzle(d1, { schema })

/**
 * The drizzle client over a D1 binding: built once per binding and isolate (building one walks the
 * whole schema for the relational API — a measurable share of a small request), reused after.
 */
export const db = (d1: D1Database) => {
  let client = clients.get(d1)
  if (!client) {
    client = create(d1)
    clients.set(d1, client)
  }
  return client
}
export type Db = ReturnType<typeof db>
export { schema }
