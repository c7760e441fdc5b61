import { describe, expect, it } from 'vitest'
import { call, json, registerUser } from '../helpers'

describe('/api/v1/users', () => {
  it('should answer 401 without a token', async () => {
    expect((await call('/api/v1/users/profile')).status).toBe(401)
  })

  it('should return my profile with my email', async () => {
    const u = await registerUser({ name: 'Grace' })
    const body = await json(await call('/api/v1/users/profile', { token: u.access_token }))
    expect(body.data).toMatchObject({
      id: u.id,
      email: u.email,
      name: 'Grace',
      role: 'member',
      status: 'offline',
      bio: null,
    })
    expect(new Date(body.data.created_at).getTime()).toBeGreaterThan(0)
  })

  it('should update name, avatar and bio', async () => {
    const u = await registerUser()
    const res = await call('/api/v1/users/profile', {
      method: 'PUT',
      token: u.access_token,
      json: { name: 'Renamed', avatar_url: 'https://img.example/a.png', bio: 'hi' },
    })
    expect(res.status).toBe(200)
    expect((await json(res)).data).toMatchObject({
      name: 'Renamed',
      avatar_url: 'https://img.example/a.png',
      bio: 'hi',
    })
    expect((await json(await call('/api/v1/users/profile', { token: u.access_token }))).data.name).toBe(
      'Renamed',
    )
  })

  it('should answer 400 naming the field for a bad avatar_url and keep the profile', async () => {
    const u = await registerUser({ name: 'Keep' })
    const res = await call('/api/v1/users/profile', {
      method: 'PUT',
      token: u.access_token,
      json: { avatar_url: 'nope', name: 'Lost' },
    })
    expect(res.status).toBe(400)
    expect((await json(res)).error.details.fields[0].path).toBe('avatar_url')
    expect((await json(await call('/api/v1/users/profile', { token: u.access_token }))).data.name).toBe(
      'Keep',
    )
  })

  it('should answer 400 for an empty update', async () => {
    const u = await registerUser()
    expect(
      (await call('/api/v1/users/profile', { method: 'PUT', token: u.access_token, json: {} })).status,
    ).toBe(400)
  })

  it('should get another user by id without their email', async () => {
    const a = await registerUser()
    const b = await registerUser({ name: 'Bob' })
    const body = await json(await call(`/api/v1/users/${b.id}`, { token: a.access_token }))
    expect(body.data).toMatchObject({ id: b.id, name: 'Bob' })
    expect(body.data.email).toBeUndefined()
  })

  it('should answer 404 for an unknown id', async () => {
    const a = await registerUser()
    const res = await call('/api/v1/users/nobody-here', { token: a.access_token })
    expect(res.status).toBe(404)
    expect((await json(res)).error.code).toBe('not_found')
  })

  it('should search by name, treating % and _ literally', async () => {
    const tag = `Zq${Date.now().toString(36)}`
    const a = await registerUser({ name: `${tag} Alpha` })
    await registerUser({ name: `${tag} Beta` })
    const hits = (await json(await call(`/api/v1/users/search?q=${tag}`, { token: a.access_token }))).data
      .users
    expect(hits.map((u: { name: string }) => u.name).sort()).toEqual([`${tag} Alpha`, `${tag} Beta`])
    const none = (
      await json(await call(`/api/v1/users/search?q=${encodeURIComponent('%')}`, { token: a.access_token }))
    ).data.users
    expect(none).toEqual([])
  })

  it('should refuse a NUL in the search term (400 naming q) instead of matching every user', async () => {
    const a = await registerUser()
    const res = await call('/api/v1/users/search?q=%00x', { token: a.access_token })
    expect(res.status).toBe(400)
    expect((await json(res)).error.details.fields).toEqual([
      { path: 'q', message: 'must not contain control characters' },
    ])
  })

  it('should answer 400 for a search without q', async () => {
    const a = await registerUser()
    const res = await call('/api/v1/users/search', { token: a.access_token })
    expect(res.status).toBe(400)
    expect((await json(res)).error.details.fields[0].path).toBe('q')
  })

  it('should set my status and show it on /auth/me', async () => {
    const u = await registerUser()
    const res = await call('/api/v1/users/status', {
      method: 'PUT',
      token: u.access_token,
      json: { status: 'dnd' },
    })
    expect(res.status).toBe(200)
    expect((await json(await call('/api/v1/auth/me', { token: u.access_token }))).data.status).toBe('dnd')
    const bad = await call('/api/v1/users/status', {
      method: 'PUT',
      token: u.access_token,
      json: { status: 'sleeping' },
    })
    expect(bad.status).toBe(400)
  })
})
