import { describe, expect, it } from 'vitest'
import { call, json, registerUser } from '../helpers'

describe('/api/v1/notifications', () => {
  it('should deliver a staff notification to one user, counted unread until read', async () => {
    const agent = await registerUser({ role: 'agent' })
    const user = await registerUser()
    const created = await call('/api/v1/notifications', {
      method: 'POST',
      token: agent.access_token,
      json: { user_id: user.id, title: 'Your case was assigned', data: { case: 'C-1' } },
    })
    expect(created.status).toBe(201)
    const note = (await json(created)).data
    expect(note).toMatchObject({
      channel: `user:${user.id}`,
      type: 'info',
      read: false,
      data: { case: 'C-1' },
    })
    const mine = (await json(await call('/api/v1/notifications', { token: user.access_token }))).data
    expect(mine.notifications.map((n: { id: string }) => n.id)).toEqual([note.id])
    expect(mine.unread_count).toBe(1)
    const read = await call(`/api/v1/notifications/${note.id}/read`, {
      method: 'PUT',
      token: user.access_token,
    })
    expect((await json(read)).data).toMatchObject({
      id: note.id,
      read: true,
      read_at: expect.stringMatching(/Z$/),
    })
    const unread = (await json(await call('/api/v1/notifications/unread', { token: user.access_token }))).data
    expect(unread).toEqual({ notifications: [], unread_count: 0 })
    // Idempotent:
    expect(
      (await call(`/api/v1/notifications/${note.id}/read`, { method: 'PUT', token: user.access_token }))
        .status,
    ).toBe(200)
  })

  it('should keep users out of other channels', async () => {
    const agent = await registerUser({ role: 'agent' })
    const a = await registerUser()
    const b = await registerUser()
    const note = (
      await json(
        await call('/api/v1/notifications', {
          method: 'POST',
          token: agent.access_token,
          json: { user_id: a.id, title: 'for a' },
        }),
      )
    ).data
    expect((await call(`/api/v1/notifications/${note.id}`, { token: b.access_token })).status).toBe(403)
    expect(
      (await call(`/api/v1/notifications/${note.id}/read`, { method: 'PUT', token: b.access_token })).status,
    ).toBe(403)
    expect((await call('/api/v1/notifications?channel=broadcast', { token: b.access_token })).status).toBe(
      403,
    )
    expect((await call(`/api/v1/notifications?channel=user:${a.id}`, { token: b.access_token })).status).toBe(
      403,
    )
  })

  it('should let only staff create, and validate the body', async () => {
    const member = await registerUser()
    const agent = await registerUser({ role: 'agent' })
    expect(
      (
        await call('/api/v1/notifications', {
          method: 'POST',
          token: member.access_token,
          json: { title: 'x' },
        })
      ).status,
    ).toBe(403)
    const missing = await call('/api/v1/notifications', {
      method: 'POST',
      token: agent.access_token,
      json: { body: 'no title' },
    })
    expect(missing.status).toBe(400)
    expect((await json(missing)).error.details.fields[0].path).toBe('title')
    const both = await call('/api/v1/notifications', {
      method: 'POST',
      token: agent.access_token,
      json: { title: 't', channel: 'broadcast', user_id: 'u' },
    })
    expect(both.status).toBe(400)
    const badChannel = await call('/api/v1/notifications', {
      method: 'POST',
      token: agent.access_token,
      json: { title: 't', channel: 'everyone' },
    })
    expect((await json(badChannel)).error.details.fields[0].path).toBe('channel')
  })

  it('should answer 404 for an unknown notification', async () => {
    const user = await registerUser()
    expect((await call('/api/v1/notifications/nope', { token: user.access_token })).status).toBe(404)
  })
})

describe('seed 000 /notification*', () => {
  it('should create, list, read and fetch feed notifications for staff', async () => {
    const agent = await registerUser({ role: 'agent' })
    const title = `Ambulance dispatched ${Date.now()}`
    const res = await call('/notification', {
      method: 'POST',
      token: agent.access_token,
      json: { title, type: 'case', room: 'r1' },
    })
    expect(res.status).toBe(200)
    const body = await json(res)
    expect(body.status).toBe('SUCCESS')
    expect(body.data).toMatchObject({ channel: 'broadcast', title, type: 'case', room: 'r1', read: false })
    const id = body.data.id
    const events = (await json(await call('/notification/events', { token: agent.access_token }))).data
    expect(events.map((n: { id: string }) => n.id)).toContain(id)
    const unread = (await json(await call('/notification/unread', { token: agent.access_token }))).data
    expect(unread.map((n: { id: string }) => n.id)).toContain(id)
    const updated = await json(
      await call(`/notification/update/${id}`, { method: 'PUT', token: agent.access_token }),
    )
    expect(updated.data.read).toBe(true)
    const after = (await json(await call('/notification/unread', { token: agent.access_token }))).data
    expect(after.map((n: { id: string }) => n.id)).not.toContain(id)
    expect((await json(await call(`/notification/${id}`, { token: agent.access_token }))).data.read).toBe(
      true,
    )
  })

  it('should refuse members and answer unknown ids with 404 FAIL', async () => {
    const member = await registerUser()
    const agent = await registerUser({ role: 'agent' })
    expect((await call('/notification/events', { token: member.access_token })).status).toBe(403)
    const missing = await call('/notification/no-such-id', { token: agent.access_token })
    expect(missing.status).toBe(404)
    expect((await json(missing)).status).toBe('FAIL')
  })
})
