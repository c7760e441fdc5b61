import { drizzle } from 'drizzle-orm/d1'
import * as schema from './schema'

/** A drizzle client over the D1 binding. Cheap: create one per request. */
export const db = (d1: D1Database) => drizzle(d1, { schema })
export type Db = ReturnType<typeof db>
export { schema }
