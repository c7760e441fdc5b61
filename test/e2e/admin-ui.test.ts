import type { Page } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import { SHOTS, useChromium, watchPage } from './browser'
import { baseUrl, client, closeAll, connected, liveKitToken, staffToken, uniqueRoom } from './helpers'

// The Socket.IO admin UI (@socket.io/admin-ui's own build, served at /admin-ui/) in Chromium
// against `wrangler dev`: it connects to `/admin`, lists the live sockets of two rooms held by
// two objects, and its disconnect button closes the chosen socket.
const chrome = useChromium('admin UI browser tests')

afterAll(() => closeAll())

/** Picks `nsp` in the sockets page's namespace selector (the drawer's select is the language). */
async function selectNamespace(page: Page, nsp: string) {
  await page.locator('.v-card .v-select .v-select__slot').first().click()
  await page.getByRole('option', { name: nsp, exact: true }).click()
  await page.locator('.menuable__content__active').waitFor({ state: 'detached' })
}

describe.skipIf(!chrome.available)('the Socket.IO admin UI in Chromium', () => {
  it('should load from this server with nothing from a CDN, list the sockets of two rooms, and disconnect the chosen one', async () => {
    const roomA = uniqueRoom('admin-a')
    const roomB = uniqueRoom('admin-b')
    const a1 = await connected(
      client(`/${roomA}`, { auth: { token: await liveKitToken(roomA, 'ann') }, query: { room: roomA } }),
    )
    const a2 = await connected(
      client(`/${roomA}`, { auth: { token: await liveKitToken(roomA, 'abe') }, query: { room: roomA } }),
    )
    const b1 = await connected(
      client(`/${roomB}`, { auth: { token: await liveKitToken(roomB, 'bea') }, query: { room: roomB } }),
    )
    const [idA1, idA2, idB1] = [a1.id!, a2.id!, b1.id!]
    const gone = new Promise<string>((resolve) => a2.once('disconnect', (reason) => resolve(reason)))

    const context = await chrome.browser().newContext({ viewport: { width: 1300, height: 900 } })
    const token = await staffToken()
    // A signed-in admin: the UI reconnects with its stored session (here an admin access token).
    await context.addInitScript({ content: `localStorage.setItem('session_id', ${JSON.stringify(token)})` })
    const page = await context.newPage()
    const { errors, outside } = watchPage(page)
    page.setDefaultTimeout(10_000)
    await page.goto(`${baseUrl()}/admin-ui/#/sockets/`)
    await page.waitForSelector('.v-data-table')

    await selectNamespace(page, `/${roomA}`)
    const rows = page.locator('.v-data-table tbody tr')
    await expect
      .poll(() => rows.allInnerTexts(), { timeout: 15_000 })
      .toEqual(expect.arrayContaining([expect.stringContaining(idA1), expect.stringContaining(idA2)]))
    await selectNamespace(page, `/${roomB}`)
    await expect
      .poll(() => rows.allInnerTexts(), { timeout: 15_000 })
      .toEqual([expect.stringContaining(idB1)])
    await selectNamespace(page, `/${roomA}`)
    await page.screenshot({ path: `${SHOTS}/admin-ui-sockets.png` })

    // The disconnect button of a2's row (the click also opens the row's socket page, as upstream).
    await rows.filter({ hasText: idA2 }).locator('button').click()
    expect(await gone).toBe('io server disconnect')
    expect(a1.connected).toBe(true)
    expect(b1.connected).toBe(true)
    await page.waitForSelector(`text=${idA2}`)
    await page.goto(`${baseUrl()}/admin-ui/#/sockets/`)
    await selectNamespace(page, `/${roomA}`)
    await expect
      .poll(() => rows.allInnerTexts(), { timeout: 15_000 })
      .toEqual([expect.stringContaining(idA1)])
    expect(outside).toEqual([])
    expect(errors).toEqual([])
    await context.close()
  })
})
