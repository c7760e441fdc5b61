import { env } from 'cloudflare:workers'
import { eq, inArray } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { db } from '../../src/worker/db/client'
import { links } from '../../src/worker/db/schema'
import { call, json, mintToken, runCron } from '../helpers'

describe('link expiry cron (*/30 * * * *)', () => {
  it('should disable expired links, leave live ones, and show it through the API', async () => {
    const agent = await mintToken('agent')
    const room = `expiry-${Date.now().toString(36)}`
    const make = async () =>
      (
        await json(
          await call('/link/create', { method: 'POST', token: agent, json: { room, userType: 'caller' } }),
        )
      ).data.linkID as string
    const [expired, live] = [await make(), await make()]
    await db(env.DB)
      .update(links)
      .set({ expiresAt: Date.now() - 60_000 })
      .where(eq(links.id, expired))

    await runCron('*/30 * * * *')

    const rows = await db(env.DB)
      .select()
      .from(links)
      .where(inArray(links.id, [expired, live]))
      .all()
    expect(Object.fromEntries(rows.map((r) => [r.id, r.enabled]))).toEqual({ [expired]: false, [live]: true })
    const detail = (await json(await call(`/link/getdetail?linkID=${expired}`, { token: agent }))).data
    expect(detail).toMatchObject({ enabled: false, expired: true })
    const opened = await call(`/link/getdetail?linkID=${expired}`)
    expect(opened.status).toBe(410)
    expect((await json(opened)).message).toBe('Link is disabled')
    const list = (await json(await call(`/link/list?room=${room}&enabled=true`, { token: agent }))).data
    expect(list.items.map((l: { linkID: string }) => l.linkID)).toEqual([live])
  })

  it('should be idempotent and safe to run twice at once', async () => {
    const { expireLinks } = await import('../../src/worker/services/links')
    const ids = ['CronRaceAa', 'CronRaceBb', 'CronRaceCc'].map((p) => p + Date.now().toString(36))
    await db(env.DB)
      .insert(links)
      .values(ids.map((id) => ({ id, room: 'cron-race', userType: 'caller', expiresAt: Date.now() - 1000 })))
    const counts = await Promise.all([expireLinks(db(env.DB)), expireLinks(db(env.DB))])
    // Each link is disabled by exactly one of the two runs (other tests' links may be swept too).
    expect(counts[0] + counts[1]).toBeGreaterThanOrEqual(ids.length)
    await Promise.all([runCron('*/30 * * * *'), runCron('*/30 * * * *')])
    expect(await expireLinks(db(env.DB))).toBe(0)
    const rows = await db(env.DB).select().from(links).where(inArray(links.id, ids)).all()
    expect(rows.every((r) => !r.enabled)).toBe(true)
  })
})
