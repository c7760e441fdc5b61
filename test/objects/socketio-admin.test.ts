import type { Socket } from 'socket.io-client'
import { afterEach, describe, expect, it } from 'vitest'
import { liveKitToken, mintToken, registerUser } from '../helpers'
import { sioClient, sioConnected } from '../sio-client'
import { InProcessPolling } from './contract-drivers'

// `/admin`: @socket.io/admin-ui's server protocol over the metrics registry (README "Operations"),
// driven by the real socket.io-client as the UI drives it.
const open: Socket[] = []
afterEach(() => {
  for (const s of open.splice(0)) s.disconnect()
})
const track = (s: Socket) => (open.push(s), s)

async function member(room: string, identity: string, polling = false): Promise<Socket> {
  const opts = { auth: { token: await liveKitToken(room, identity, identity) }, query: { room } }
  return sioConnected(
    track(
      polling
        ? sioClient(`/${room}`, { ...opts, transports: [InProcessPolling as any], upgrade: false })
        : sioClient(`/${room}`, opts),
    ),
  )
}

/** An admin UI socket with listeners for what the server sends first. */
function adminSocket(auth: Record<string, unknown>) {
  const s = track(sioClient('/admin', { auth }))
  const got: Record<string, unknown[][]> = {}
  s.onAny((event, ...args) => (got[event] ??= []).push(args))
  return { s, got }
}

const until = async (what: string, ok: () => boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('/admin (Socket.IO admin UI protocol)', () => {
  it('should refuse anyone but an admin', async () => {
    const none = adminSocket({})
    await expect(sioConnected(none.s)).rejects.toThrow('invalid credentials')
    const agent = adminSocket({ token: await mintToken('agent') })
    await expect(sioConnected(agent.s)).rejects.toThrow('/admin requires an admin')
    const user = await registerUser({ role: 'agent' })
    const wrong = adminSocket({ username: user.email, password: 'not the password' })
    await expect(sioConnected(wrong.s)).rejects.toThrow('invalid credentials')
    const notAdmin = adminSocket({ username: user.email, password: user.password })
    await expect(sioConnected(notAdmin.s)).rejects.toThrow('/admin requires an admin')
  })

  it('should sign an admin in with email and password, then list every socket of two rooms and stats', async () => {
    const roomA = `admin-a-${Date.now().toString(36)}`
    const roomB = `admin-b-${Date.now().toString(36)}`
    const a1 = await member(roomA, 'ann')
    const a2 = await member(roomA, 'abe', true)
    const b1 = await member(roomB, 'bea')
    const admin = await registerUser({ role: 'admin' })
    const ui = adminSocket({ username: admin.email, password: admin.password })
    await sioConnected(ui.s)
    await until('session, config, all_sockets, server_stats', () =>
      ['session', 'config', 'all_sockets', 'server_stats'].every((e) => ui.got[e]),
    )
    // The session token signs the UI back in after a reload.
    const session = ui.got.session[0][0] as string
    const again = adminSocket({ sessionId: session })
    await sioConnected(again.s)
    expect(ui.got.config[0][0]).toEqual({
      supportedFeatures: [
        'EMIT',
        'JOIN',
        'LEAVE',
        'DISCONNECT',
        'MJOIN',
        'MLEAVE',
        'MDISCONNECT',
        'AGGREGATED_EVENTS',
        'ALL_EVENTS',
      ],
    })

    const sockets = ui.got.all_sockets.at(-1)![0] as any[]
    const of = (s: Socket, nsp: string) => sockets.find((x) => x.id === s.id && x.nsp === nsp)
    expect(of(a1, `/${roomA}`)).toMatchObject({
      transport: 'websocket',
      data: { id: 'ann', n: 'ann' },
      rooms: [a1.id],
      handshake: { query: { room: roomA } },
    })
    expect(of(a2, `/${roomA}`)).toMatchObject({ transport: 'polling', data: { id: 'abe' } })
    expect(of(b1, `/${roomB}`)).toMatchObject({ transport: 'websocket', data: { id: 'bea' } })
    // Handshake tokens are not shown.
    expect(JSON.stringify(sockets)).not.toContain('token')
    const stats = ui.got.server_stats.at(-1)![0] as any
    expect(stats.namespaces).toEqual(
      expect.arrayContaining([
        { name: `/${roomA}`, socketsCount: 2 },
        { name: `/${roomB}`, socketsCount: 1 },
      ]),
    )
    expect(stats.clientsCount).toBeGreaterThanOrEqual(3)
    expect(stats.pollingClientsCount).toBeGreaterThanOrEqual(1)
  })

  it('should emit to a chosen socket and disconnect it, wherever it is held', async () => {
    const room = `admin-c-${Date.now().toString(36)}`
    const c1 = await member(room, 'cat')
    const c2 = await member(room, 'cid', true)
    const ui = adminSocket({ token: await mintToken('admin') })
    await sioConnected(ui.s)

    const heard = new Promise((resolve) => c2.once('announcement', resolve))
    expect(await ui.s.emitWithAck('emit', `/${room}`, c2.id, 'announcement', { text: 'hello' })).toBe(1)
    expect(await heard).toEqual({ text: 'hello' })

    const gone = new Promise((resolve) => c2.once('disconnect', resolve))
    expect(await ui.s.emitWithAck('_disconnect', `/${room}`, false, c2.id)).toBe(1)
    expect(await gone).toBe('io server disconnect')
    expect(c1.connected).toBe(true)
    // The list no longer has it.
    ui.got.all_sockets = []
    await until('a refreshed list', () => ui.got.all_sockets.length > 0, 5000)
    const ids = (ui.got.all_sockets.at(-1)![0] as any[]).filter((x) => x.nsp === `/${room}`).map((x) => x.id)
    expect(ids).toEqual([c1.id])

    // Closing the whole connection (the UI's client view).
    const closed = new Promise((resolve) => c1.once('disconnect', resolve))
    expect(await ui.s.emitWithAck('_disconnect', `/${room}`, true, c1.id)).toBe(1)
    expect(await closed).toBe('transport close')
  })

  it('should make sockets join and leave rooms, and emit and disconnect by room, wherever they are held', async () => {
    const room = `admin-r-${Date.now().toString(36)}`
    const nsp = `/${room}`
    const d1 = await member(room, 'dan')
    const d2 = await member(room, 'dee', true)
    const d3 = await member(room, 'dot')
    const ui = adminSocket({ token: await mintToken('admin') })
    await sioConnected(ui.s)
    await until('config', () => !!ui.got.config)
    expect((ui.got.config[0][0] as any).supportedFeatures).toEqual(expect.arrayContaining(['JOIN', 'LEAVE']))

    // One socket by its own room (its id), then the polling one: both now in "vip".
    expect(await ui.s.emitWithAck('join', nsp, 'vip', d1.id)).toBe(1)
    expect(await ui.s.emitWithAck('join', nsp, 'vip', d2.id)).toBe(1)
    expect(await ui.s.emitWithAck('join', nsp, 'vip', d2.id)).toBe(0) // already there
    ui.got.all_sockets = []
    await until('a refreshed list', () => ui.got.all_sockets.length > 0, 5000)
    const rooms = (s: Socket) =>
      (ui.got.all_sockets.at(-1)![0] as any[]).find((x) => x.id === s.id && x.nsp === nsp)?.rooms
    expect(rooms(d1)).toEqual([d1.id, 'vip'])
    expect(rooms(d2)).toEqual([d2.id, 'vip'])
    expect(rooms(d3)).toEqual([d3.id])

    const heard: string[] = []
    for (const [s, name] of [
      [d1, 'dan'],
      [d2, 'dee'],
      [d3, 'dot'],
    ] as const)
      s.on('notice', () => heard.push(name))
    expect(await ui.s.emitWithAck('emit', nsp, 'vip', 'notice', 1)).toBe(2)
    await until('two notices', () => heard.length === 2)
    await new Promise((r) => setTimeout(r, 200))
    expect(heard.sort()).toEqual(['dan', 'dee'])

    // Leaving: only d2 stays in "vip"; a room filter reaches only its members.
    expect(await ui.s.emitWithAck('leave', nsp, 'vip', d1.id)).toBe(1)
    const gone = new Promise((resolve) => d2.once('disconnect', resolve))
    expect(await ui.s.emitWithAck('_disconnect', nsp, false, 'vip')).toBe(1)
    expect(await gone).toBe('io server disconnect')
    expect(d1.connected && d3.connected).toBe(true)

    // Every socket of the namespace, without a filter; a bad room name is refused.
    expect(await ui.s.emitWithAck('join', nsp, 'all-hands')).toBe(2)
    await expect(ui.s.emitWithAck('join', nsp, 'no spaces')).resolves.toMatchObject({
      error: { code: 'validation_failed' },
    })
    await expect(ui.s.emitWithAck('join', nsp)).resolves.toMatchObject({
      error: { code: 'validation_failed' },
    })
  })
})
