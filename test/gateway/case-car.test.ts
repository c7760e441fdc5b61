import { describe, expect, it } from 'vitest'
import { call, json, registerUser } from '../helpers'

describe('seed 000 /case', () => {
  it('should create, get, update and page cases for staff', async () => {
    const agent = await registerUser({ role: 'agent' })
    const room = `case-room-${Date.now()}`
    const created = await call('/case/create', {
      method: 'POST',
      token: agent.access_token,
      json: { title: 'Chest pain', room, caller_phone: '+66 81 234 5678', lat: 13.75, lng: 100.5 },
    })
    expect(created.status).toBe(200)
    const kase = (await json(created)).data
    expect(kase).toMatchObject({ title: 'Chest pain', status: 'new', room, created_by: agent.id, lat: 13.75 })
    expect((await json(await call(`/case/get?id=${kase.id}`, { token: agent.access_token }))).data.id).toBe(
      kase.id,
    )
    const updated = await call('/case/update', {
      method: 'PUT',
      token: agent.access_token,
      json: { id: kase.id, status: 'assigned', assigned_to: agent.id },
    })
    expect((await json(updated)).data).toMatchObject({ status: 'assigned', assigned_to: agent.id })
    const page = (await json(await call(`/case/history?room=${room}`, { token: agent.access_token }))).data
    expect(page).toMatchObject({ total: 1, page: 1, limit: 20 })
    expect(page.items[0].status).toBe('assigned')
  })

  it('should answer bad input with 400 FAIL naming the field, and unknown ids with 404', async () => {
    const agent = await registerUser({ role: 'agent' })
    const bad = await call('/case/create', {
      method: 'POST',
      token: agent.access_token,
      json: { title: 'x', lat: 123 },
    })
    expect(bad.status).toBe(400)
    expect((await json(bad)).data.details.fields[0].path).toBe('lat')
    const status = await call('/case/update', {
      method: 'PUT',
      token: agent.access_token,
      json: { id: 'x', status: 'exploded' },
    })
    expect((await json(status)).data.details.fields[0].path).toBe('status')
    expect((await call('/case/get?id=nope', { token: agent.access_token })).status).toBe(404)
    expect(
      (
        await call('/case/update', {
          method: 'PUT',
          token: agent.access_token,
          json: { id: 'nope', status: 'closed' },
        })
      ).status,
    ).toBe(404)
  })

  it('should refuse members', async () => {
    const member = await registerUser()
    expect(
      (await call('/case/create', { method: 'POST', token: member.access_token, json: { title: 't' } }))
        .status,
    ).toBe(403)
    expect((await call('/case/history', { token: member.access_token })).status).toBe(403)
  })
})

describe('seed 000 /car', () => {
  it('should create a task, record positions and status, and list it', async () => {
    const agent = await registerUser({ role: 'agent' })
    const room = `car-room-${Date.now()}`
    const task = (
      await json(
        await call('/car/task', {
          method: 'POST',
          token: agent.access_token,
          json: { car_no: 'AMB-7', room },
        }),
      )
    ).data
    expect(task).toMatchObject({ car_no: 'AMB-7', room, status: 'assigned', lat: null })
    const moved = await call('/car/task', {
      method: 'PUT',
      token: agent.access_token,
      json: { id: task.id, lat: 13.7, lng: 100.4, status: 'en_route' },
    })
    expect((await json(moved)).data).toMatchObject({ status: 'en_route', lat: 13.7, lng: 100.4 })
    await call('/car/task', {
      method: 'PUT',
      token: agent.access_token,
      json: { id: task.id, lat: 13.71, lng: 100.41 },
    })
    const got = (await json(await call(`/car/task?id=${task.id}`, { token: agent.access_token }))).data
    expect(got.positions.map((p: { lat: number }) => p.lat)).toEqual([13.71, 13.7])
    const list = (await json(await call(`/car/list?room=${room}`, { token: agent.access_token }))).data
    expect(list.map((t: { id: string }) => t.id)).toEqual([task.id])
  })

  it('should refuse half a position and out-of-range coordinates, changing nothing', async () => {
    const agent = await registerUser({ role: 'agent' })
    const task = (
      await json(
        await call('/car/task', { method: 'POST', token: agent.access_token, json: { car_no: 'AMB-8' } }),
      )
    ).data
    const half = await call('/car/task', {
      method: 'PUT',
      token: agent.access_token,
      json: { id: task.id, lat: 1 },
    })
    expect(half.status).toBe(400)
    const far = await call('/car/task', {
      method: 'PUT',
      token: agent.access_token,
      json: { id: task.id, lat: 91, lng: 0 },
    })
    expect(far.status).toBe(400)
    const got = (await json(await call(`/car/task?id=${task.id}`, { token: agent.access_token }))).data
    expect(got).toMatchObject({ lat: null, positions: [] })
  })

  it('should answer 404 for an unknown task and 400 without car_no', async () => {
    const agent = await registerUser({ role: 'agent' })
    expect((await call('/car/task?id=nope', { token: agent.access_token })).status).toBe(404)
    const res = await call('/car/task', { method: 'POST', token: agent.access_token, json: {} })
    expect((await json(res)).data.details.fields[0].path).toBe('car_no')
  })
})
