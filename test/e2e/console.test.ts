import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import { SHOTS, useChromium } from './browser'
import { baseUrl, staffToken, uniqueRoom } from './helpers'

// The console and the caller's page in a real browser (Debian's Chromium; .ci/run installs it):
// two people chatting, a reconnect that resumes, a caller reaching a staff console.
const chrome = useChromium('console browser tests')
const contexts: BrowserContext[] = []

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {})
})

/** A fresh browser context (its own storage: another person) with one page; page errors collected. */
async function person(options: Parameters<Browser['newContext']>[0] = {}) {
  const context = await chrome.browser().newContext({ viewport: { width: 1200, height: 850 }, ...options })
  contexts.push(context)
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(String(e)))
  return { context, page, errors }
}

/** Registers through the console's form. */
async function register(page: Page, name: string) {
  await page.goto(`${baseUrl()}/console`)
  await page.fill('#register-form [name=name]', name)
  await page.fill('#register-form [name=email]', `${name.toLowerCase()}-${Date.now()}@example.com`)
  await page.fill('#register-form [name=password]', 'correct horse battery')
  await page.click('#register-form button')
  await page.waitForSelector('#new-group')
}

const logText = (page: Page) => page.locator('#chat-log').innerText()
const seqs = (page: Page) =>
  page.$$eval('#chat-log .msg', (els) => els.map((e) => Number((e as any).dataset.seq)))

describe.skipIf(!chrome.available)('the console in Chromium', () => {
  let ada: Page
  let bob: Page

  it('should let two people chat live: presence, typing, read state, edit and delete', async () => {
    const a = await person()
    const b = await person()
    ada = a.page
    bob = b.page
    await register(ada, 'Ada')
    await ada.fill('#new-group [name=name]', 'Night shift')
    await ada.click('#new-group button')
    await ada.waitForSelector('#chat-state[data-state=open]')
    const code = (await ada.locator('#chat-code').textContent())!.trim()
    expect(code).toMatch(/^[A-Z0-9]{6}$/)

    await register(bob, 'Bob')
    await bob.fill('#join-code [name=code]', code.toLowerCase())
    await bob.click('#join-code button')
    await bob.waitForSelector('#chat-state[data-state=open]')
    // Ada sees Bob arrive.
    await ada.waitForSelector('#members [data-status=online] >> text=Bob')

    await bob.fill('#composer', 'typing…')
    await expect.poll(() => ada.locator('#typing').textContent()).toContain('Bob typing')
    await bob.fill('#composer', '')

    await ada.fill('#composer', 'Hello Bob')
    await ada.click('#composer-form button')
    await bob.waitForSelector('#chat-log .msg >> text=Hello Bob')
    await bob.fill('#composer', 'Hi Ada')
    await bob.press('#composer', 'Enter')
    await ada.waitForSelector('#chat-log .msg >> text=Hi Ada')
    // Each read the other's message: Ada's newest message shows who has seen it.
    await ada.waitForSelector('#chat-log .msg[data-seq="2"] .seen >> text=Bob')
    expect(await seqs(ada)).toEqual([1, 2])
    expect(await seqs(bob)).toEqual([1, 2])

    await ada.locator('#chat-log .msg[data-seq="1"]').hover()
    ada.once('dialog', (d) => void d.accept('Hello Bob, edited'))
    await ada.click('#chat-log .msg[data-seq="1"] .edit')
    await bob.waitForSelector('#chat-log .msg[data-seq="1"] >> text=Hello Bob, edited')
    expect(await bob.locator('#chat-log .msg[data-seq="1"] .meta').first().textContent()).toContain(
      '(edited)',
    )
    await ada.click('#chat-log .msg[data-seq="1"] .delete')
    await bob.waitForSelector('#chat-log .msg.deleted[data-seq="1"] >> text=message deleted')
    await ada.screenshot({ path: `${SHOTS}/console-chat-ada.png` })
    await bob.screenshot({ path: `${SHOTS}/console-chat-bob.png` })
    expect([...a.errors, ...b.errors]).toEqual([])
  }, 90_000)

  it('should resume after a dropped connection without gaps or duplicates', async () => {
    const sockets: string[] = []
    bob.on('websocket', (ws) => sockets.push(ws.url()))
    const before = (await seqs(bob)).at(-1)!
    // Bob's connection drops and his network is gone while Ada writes and Bob writes too.
    await bob.context().setOffline(true)
    await bob.evaluate(() => (globalThis as any).switchboard.chat.drop())
    await bob.waitForSelector('#chat-state[data-state=reconnecting]')
    for (const text of ['one', 'two', 'three']) {
      await ada.fill('#composer', `missed ${text}`)
      await ada.press('#composer', 'Enter')
      await ada.waitForSelector(`#chat-log .msg >> text=missed ${text}`)
    }
    // Bob really was cut off: none of it reached him.
    expect(await logText(bob)).not.toContain('missed one')
    await bob.fill('#composer', 'written offline')
    await bob.press('#composer', 'Enter')
    await bob.context().setOffline(false)

    await bob.waitForSelector('#chat-state[data-state=open]', { timeout: 20_000 })
    await bob.waitForSelector('#chat-log .msg >> text=written offline')
    await ada.waitForSelector('#chat-log .msg >> text=written offline')
    const after = await seqs(bob)
    expect(after).toEqual(Array.from({ length: after.length }, (_, i) => i + 1))
    expect(after.length).toBe(before + 4)
    expect(await logText(bob)).toContain('missed three')
    expect(await seqs(ada)).toEqual(after)
    // The new socket asked the server to replay after the last message Bob had.
    expect(sockets.some((u) => u.includes(`since=${before}`))).toBe(true)
    const stats = await bob.evaluate(() => {
      const c = (globalThis as any).switchboard.chat
      return { duplicates: c.duplicates, reconnects: c.reconnects }
    })
    expect(stats.duplicates).toBe(0)
    expect(stats.reconnects).toBeGreaterThanOrEqual(1)
    // "written offline" was stored once although it may have been sent twice.
    expect((await logText(ada)).match(/written offline/g)).toHaveLength(1)
    await bob.screenshot({ path: `${SHOTS}/console-resumed.png` })
  }, 90_000)
})

/** POSTs JSON to the server and answers the parsed body (failing on an error status). */
async function post(path: string, body: unknown, token?: string) {
  const res = await fetch(`${baseUrl()}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  })
  const parsed = (await res.json()) as any
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(parsed)}`)
  return parsed
}

/** A browser context signed in as an admin (a token signed with the test secret: no admin row needed). */
async function staffPerson() {
  const staffId = `staff-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`
  const token = await staffToken(staffId)
  const staff = await person()
  await staff.context.addInitScript(
    ([t, id]) =>
      (globalThis as any).localStorage.setItem(
        'switchboard.session',
        JSON.stringify({
          access_token: t,
          refresh_token: 'none',
          user: { id, name: 'Dispatcher', role: 'admin' },
        }),
      ),
    [token, staffId],
  )
  return staff
}

describe.skipIf(!chrome.available)('the staff side of the console in Chromium', () => {
  it('should show the notification feed live and mark one read', async () => {
    const staff = await staffPerson()
    await staff.page.goto(`${baseUrl()}/console/#notifications`)
    await staff.page.waitForSelector('#notes-status >> text=Live')
    const title = `Shift change ${Date.now()}`
    await staff.page.fill('#note-form [name=title]', title)
    await staff.page.fill('#note-form [name=body]', 'Team B takes over')
    await staff.page.click('#note-form button')
    const item = staff.page.locator('#notes li', { hasText: title })
    await item.waitFor()
    expect(await item.getAttribute('data-read')).toBe('false')
    await item.locator('.mark-read').click()
    await expect.poll(() => item.getAttribute('data-read')).toBe('true')
    await staff.page.screenshot({ path: `${SHOTS}/console-notifications.png` })
    expect(staff.errors).toEqual([])
  }, 60_000)

  it('should run a live-chat session between a customer and an agent', async () => {
    const customer = await person()
    await register(customer.page, 'Cleo')
    await customer.page.click('#tab-livechat')
    const subject = `Billing ${Date.now()}`
    await customer.page.fill('#livechat-start [name=subject]', subject)
    await customer.page.click('#livechat-start button')
    await customer.page.waitForSelector('#livechat-state >> text=connected as customer')

    const agent = await staffPerson()
    await agent.page.goto(`${baseUrl()}/console/#livechat`)
    await agent.page.click(`#livechat-list li >> text=${subject}`)
    await agent.page.waitForSelector('#livechat-state >> text=connected as agent')
    await customer.page.waitForSelector('#livechat-state >> text=agent online')
    await customer.page.fill('#livechat-composer', 'My invoice is wrong')
    await customer.page.press('#livechat-composer', 'Enter')
    await agent.page.waitForSelector('#livechat-log .msg >> text=My invoice is wrong')
    await agent.page.fill('#livechat-composer', 'Let me check')
    await agent.page.press('#livechat-composer', 'Enter')
    await customer.page.waitForSelector('#livechat-log .msg >> text=Let me check')
    await agent.page.screenshot({ path: `${SHOTS}/console-livechat-agent.png` })
    expect([...customer.errors, ...agent.errors]).toEqual([])
  }, 60_000)

  it('should let an admin list users, change a role, and the new mentor host a live session a viewer joins from the invite link', async () => {
    // Mia registers over the API; the admin makes her a mentor in the console.
    const email = `mia-${Date.now()}@example.com`
    const password = 'correct horse battery'
    const reg = await post('/api/v1/auth/register', { name: `Mia ${Date.now()}`, email, password })
    const mia = reg.data.user as { id: string; name: string }
    const staff = await staffPerson()
    await staff.page.goto(`${baseUrl()}/console/#users`)
    await staff.page.waitForSelector('#users tr')
    await staff.page.fill('#user-filter [name=q]', mia.name)
    await staff.page.click('#user-filter button')
    const row = staff.page.locator(`#users tr[data-user="${mia.id}"]`)
    await expect.poll(() => staff.page.locator('#users tr').count()).toBe(1)
    await row.waitFor()
    expect(await row.locator('select.role').inputValue()).toBe('member')
    await row.locator('select.role').selectOption('mentor')
    await staff.page.waitForSelector('#users-status >> text=role changed')
    expect(await row.locator('select.role').inputValue()).toBe('mentor')
    await staff.page.screenshot({ path: `${SHOTS}/console-users.png` })

    // As a mentor now (a fresh login carries the role), Mia creates a private live session.
    const login = await post('/api/v1/auth/login', { email, password })
    expect(login.data.user.role).toBe('mentor')
    const created = await post(
      '/api/v1/live/sessions',
      { title: 'Evening briefing', is_public: false },
      login.data.access_token,
    )
    const invite = new URL(created.data.invite_link as string)
    expect(invite.pathname).toBe(`/live/${created.data.session_id}`)

    // A viewer opens the invite link, signs in there, and joins.
    const viewer = await person()
    await register(viewer.page, 'Vic')
    await viewer.page.goto(`${baseUrl()}${invite.pathname}${invite.search}`)
    await viewer.page.waitForSelector('#live-status[data-role=viewer]')
    expect(await viewer.page.locator('#live-title').textContent()).toBe('Evening briefing')
    await viewer.page.waitForSelector('#live-events li[data-type=welcome]')
    await viewer.page.waitForSelector('#video-status[data-video=unavailable]')
    await viewer.page.screenshot({ path: `${SHOTS}/live-page.png` })
    expect([...staff.errors, ...viewer.errors]).toEqual([])
  }, 90_000)
})

describe.skipIf(!chrome.available)('the caller’s page and a staff console in Chromium', () => {
  it('should bring a caller’s positions and messages to the staff console, and the staff’s replies back', async () => {
    const staff = await staffPerson()
    const room = uniqueRoom('incident')
    await staff.page.goto(`${baseUrl()}/console/#room`)
    await staff.page.fill('#room-form [name=room]', room)
    await staff.page.click('#room-form button')
    await staff.page.waitForSelector('#room-status >> text=Connected')
    await staff.page.fill('#share-form [name=userName]', 'Caller Carla')
    await staff.page.click('#share-form button')
    const href = await staff.page.locator('#share-url').getAttribute('href')
    expect(href).toMatch(/^\/join\/[A-Za-z]{10}$/)
    expect(await staff.page.locator('#share-url').textContent()).toBe(`http://localhost:8787${href}`)

    const caller = await person({
      geolocation: { latitude: 52.52, longitude: 13.405, accuracy: 12 },
      permissions: ['geolocation'],
    })
    await caller.page.goto(`${baseUrl()}${href}`)
    await caller.page.waitForSelector('#caller-status[data-connected=true]')
    await caller.page.waitForSelector('#location[data-shared=true]')
    // The staff console sees the caller's position as it arrives.
    const row = staff.page.locator(`#positions tr[data-identity="link:${href!.split('/')[2]}"]`)
    await row.waitFor()
    expect(await row.locator('.lat').textContent()).toBe('52.52000')
    expect(await row.locator('.lng').textContent()).toBe('13.40500')
    expect(await row.textContent()).toContain('Caller Carla')
    await caller.context.setGeolocation({ latitude: 52.5301, longitude: 13.4102, accuracy: 8 })
    await expect.poll(() => row.locator('.lat').textContent(), { timeout: 15_000 }).toBe('52.53010')

    await caller.page.fill('#caller-composer', 'I need help at the station')
    await caller.page.press('#caller-composer', 'Enter')
    await staff.page.waitForSelector('#room-log .msg >> text=I need help at the station')
    await staff.page.fill('#room-composer', 'An ambulance is on its way')
    await staff.page.press('#room-composer', 'Enter')
    await caller.page.waitForSelector('#caller-log .msg >> text=An ambulance is on its way')
    // No LiveKit server in this test: the page says so plainly.
    await caller.page.waitForSelector('#video-status[data-video=unavailable]')
    expect(await caller.page.locator('#video-status').textContent()).toContain('Video is not available')

    await staff.page.screenshot({ path: `${SHOTS}/staff-console-room.png` })
    await caller.page.screenshot({ path: `${SHOTS}/caller-page.png` })
    expect([...staff.errors, ...caller.errors]).toEqual([])
  }, 90_000)
})
