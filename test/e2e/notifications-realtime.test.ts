import { afterEach, describe, expect, it } from 'vitest'
import { baseUrl, client, closeAll, connected, next, staffToken } from './helpers'

afterEach(closeAll)

describe('notifications reach /notification sockets', () => {
  it('should emit new and update to a real socket.io client when REST creates and reads one', async () => {
    const token = await staffToken()
    const s = await connected(client('/notification', { transports: ['websocket'], auth: { token } }))
    const title = `Feed ${Date.now()}`
    const gotNew = next(s, 'new')
    const created = await fetch(`${baseUrl()}/notification`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title }),
    })
    expect(created.status).toBe(200)
    const note = ((await created.json()) as { data: { id: string } }).data
    expect(await gotNew).toMatchObject({ id: note.id, title, read: false })
    const gotUpdate = next(s, 'update')
    await fetch(`${baseUrl()}/notification/update/${note.id}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}` },
    })
    expect(await gotUpdate).toMatchObject({ id: note.id, read: true })
  })
})

describe('new asks for an acknowledgement', () => {
  it('should mark a notification delivered when a default-options client (polling, then upgrade) acks it', async () => {
    const token = await staffToken()
    const s = await connected(client('/notification', { auth: { token } }))
    const title = `Ack ${Date.now()}`
    const acked = new Promise<string>((resolve) =>
      s.on('new', (note: { id: string; title: string }, ack: (r: unknown) => void) => {
        if (note.title !== title) return ack({ ok: true })
        ack({ ok: true })
        resolve(note.id)
      }),
    )
    const created = await fetch(`${baseUrl()}/notification`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title }),
    })
    const id = ((await created.json()) as { data: { id: string } }).data.id
    expect(await acked).toBe(id)
    let delivered = false
    for (let i = 0; i < 100 && !delivered; i++) {
      const res = await fetch(`${baseUrl()}/notification/${id}`, {
        headers: { authorization: `Bearer ${token}` },
      })
      delivered = ((await res.json()) as { data: { delivered: boolean } }).data.delivered
      if (!delivered) await new Promise((r) => setTimeout(r, 50))
    }
    expect(delivered).toBe(true)
  })
})
