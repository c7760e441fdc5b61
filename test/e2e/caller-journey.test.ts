import { io, type Socket } from 'socket.io-client'
import { afterEach, describe, expect, it } from 'vitest'
import { baseUrl, closeAll, connected, member, next, staffToken, uniqueRoom } from './helpers'

const sockets: Socket[] = []
afterEach(() => {
  for (const s of sockets.splice(0)) s.disconnect()
  closeAll()
})

async function post(path: string, body: unknown, token?: string) {
  const res = await fetch(baseUrl() + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as any }
}

/**
 * The product's central use (seed 000): a dispatcher sends an emergency caller a one-time link by
 * SMS; the caller opens it, joins the room's Socket.IO namespace with the token it gives, and the
 * dispatcher sees the caller's position and chat. Everything over HTTP and the real socket.io-client.
 */
describe('The caller’s journey', () => {
  it('should take a caller from an SMS link to the staff’s room socket, once', async () => {
    const staff = await staffToken()
    const room = uniqueRoom('call')

    // The dispatcher opens the room and follows it on Socket.IO with their own participant token.
    const generated = await post('/user/generate', { room, userName: 'Dispatcher', userType: 'agent' }, staff)
    expect(generated.status).toBe(200)
    const dispatcher = await member(room, undefined, { auth: { token: generated.body.data.token } })

    // A one-time link with the caller's phone: the SMS is logged (SMS_ENABLE is off in tests).
    const created = await post(
      '/link/create',
      { room, userType: 'caller', userName: 'Caller', phone: '+66812345678', oneTime: true },
      staff,
    )
    expect(created.status).toBe(200)
    const link = created.body.data
    expect(link.sms).toMatchObject({ phone: '+66812345678', status: 'logged' })
    const history = await fetch(`${baseUrl()}/link/history?linkID=${link.linkID}`, {
      headers: { authorization: `Bearer ${staff}` },
    })
    const sms = ((await history.json()) as any).data.items
    expect(sms).toHaveLength(1)
    expect(sms[0].message).toContain(link.url)

    // The caller's page: open the link, then get a token for it — no bearer anywhere.
    const opened = await fetch(`${baseUrl()}/link/getdetail?linkID=${link.linkID}`)
    expect(opened.status).toBe(200)
    const joined = await post('/user/joingenerate', { linkID: link.linkID })
    expect(joined.status).toBe(200)
    const grant = joined.body.data
    expect(grant.room).toBe(room)
    expect(grant.identity).toMatch(/^caller-/)

    // The caller connects with socket.io-client's default options (polling, then the upgrade).
    const userConnected = next(dispatcher, 'user-connection')
    const caller = io(`${baseUrl()}/${grant.room}`, { auth: { token: grant.token } })
    sockets.push(caller)
    await connected(caller)
    expect(await userConnected).toMatchObject({
      identity: grant.identity,
      name: 'Caller',
      userType: 'caller',
    })

    const position = next(dispatcher, 'position')
    const chat = next(dispatcher, 'chat-message')
    caller.emit('position', { lat: 13.7563, lng: 100.5018, accuracy: 8 })
    const ack = await caller.emitWithAck('chat-message', { message: 'I need an ambulance' })
    expect(ack).toMatchObject({ seq: 1, duplicate: false })
    expect(await position).toMatchObject({ lat: 13.7563, lng: 100.5018, identity: grant.identity })
    expect(await chat).toMatchObject({ message: 'I need an ambulance', seq: 1 })

    // The link was for one person: opening it again is refused.
    const again = await post('/user/joingenerate', { linkID: link.linkID })
    expect(again.status).toBe(410)
    expect(again.body).toMatchObject({ status: 'FAIL', message: 'Link has already been used' })
    expect((await fetch(`${baseUrl()}/link/getdetail?linkID=${link.linkID}`)).status).toBe(410)
  })
})
