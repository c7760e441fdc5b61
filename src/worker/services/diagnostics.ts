import { eq } from 'drizzle-orm'
import type { Db } from '../db/client'
import { usageLogs } from '../db/schema'
import type { Env } from '../env'
import { newId } from '../lib/ids'

/**
 * Seed 000's `/test/redis/*` debugging routes, pointed at this system's own stores: D1, R2 and
 * Durable Objects instead of Redis. Every probe reports `ok`, its time and, on failure, why.
 */
export interface Probe {
  ok: boolean
  ms: number
  error?: string
}

/** R2 keys and usage-log action the round trips write (and `clearDiagnostics` removes). */
export const DIAGNOSTICS_PREFIX = 'test/diagnostics/'
export const DIAGNOSTICS_ACTION = 'diagnostics'

async function probe(fn: () => Promise<unknown>): Promise<Probe> {
  const t0 = Date.now()
  try {
    await fn()
    return { ok: true, ms: Date.now() - t0 }
  } catch (err) {
    return { ok: false, ms: Date.now() - t0, error: err instanceof Error ? err.message : String(err) }
  }
}

const check = (cond: boolean, what: string) => {
  if (!cond) throw new Error(what)
}

/** Seed 000 `TestRedisConnection`: can each store be reached? */
export async function storeConnections(env: Env) {
  const [d1, r2, objects] = await Promise.all([
    probe(async () =>
      check((await env.DB.prepare('select 1 as one').first('one')) === 1, 'D1 answered wrongly'),
    ),
    probe(() => env.BUCKET.list({ prefix: DIAGNOSTICS_PREFIX, limit: 1 })),
    probe(() => env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName('diagnostics')).reset()),
  ])
  return { ok: d1.ok && r2.ok && objects.ok, d1, r2, objects }
}

/** Seed 000 `TestRedisOperations`: write, read back and delete one value in D1 and in R2. */
export async function storeOperations(env: Env, d: Db) {
  const id = newId()
  const d1 = await probe(async () => {
    const row = await d.insert(usageLogs).values({ action: DIAGNOSTICS_ACTION, detail: id }).returning().get()
    const read = await d.select().from(usageLogs).where(eq(usageLogs.id, row.id)).get()
    check(read?.detail === id, 'D1 read back something else')
    await d.delete(usageLogs).where(eq(usageLogs.id, row.id))
    check(!(await d.select().from(usageLogs).where(eq(usageLogs.id, row.id)).get()), 'D1 row survived delete')
  })
  const r2 = await probe(async () => {
    const key = `${DIAGNOSTICS_PREFIX}${id}`
    await env.BUCKET.put(key, id)
    check((await (await env.BUCKET.get(key))?.text()) === id, 'R2 read back something else')
    await env.BUCKET.delete(key)
    check((await env.BUCKET.head(key)) === null, 'R2 object survived delete')
  })
  return { ok: d1.ok && r2.ok, d1, r2 }
}

/** Seed 000 `ClearRedisTestData`: removes whatever the round trips left behind. */
export async function clearDiagnostics(env: Env, d: Db) {
  let objects = 0
  for (let cursor: string | undefined, more = true; more;) {
    const page = await env.BUCKET.list({ prefix: DIAGNOSTICS_PREFIX, cursor })
    if (page.objects.length) await env.BUCKET.delete(page.objects.map((o) => o.key))
    objects += page.objects.length
    more = page.truncated
    cursor = page.truncated ? page.cursor : undefined
  }
  const rows = await d.delete(usageLogs).where(eq(usageLogs.action, DIAGNOSTICS_ACTION)).returning()
  return { r2_objects: objects, d1_rows: rows.length }
}
