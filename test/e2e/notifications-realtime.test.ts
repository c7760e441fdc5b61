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
