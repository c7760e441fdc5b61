import { afterEach, describe, expect, it } from 'vitest'
import { baseUrl, client, closeAll, connected, liveKitToken, next, staffToken, uniqueRoom } from './helpers'

afterEach(closeAll)

async function rest(path: string, method: string, token: string, body: unknown) {
  const res = await fetch(`${baseUrl()}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  expect(res.status).toBe(200)
  return ((await res.json()) as { data: any }).data
}

describe('cases and cars reach their namespaces', () => {
  it('should send newcase to /newqueue and the waiting queue to /queue when a case opens', async () => {
    const token = await staffToken()
    const fresh = await connected(client('/newqueue', { transports: ['websocket'], auth: { token } }))
    const queue = await connected(client('/queue', { transports: ['websocket'], auth: { token } }))
    const newcase = next(fresh, 'newcase')
    const update = next(queue, 'queue-update')
    const kase = await rest('/case/create', 'POST', token, { title: `Fall ${Date.now()}` })
    expect(await newcase).toMatchObject({ id: kase.id, status: 'new' })
    const q = await update
    expect(q.cases.map((c: { id: string }) => c.id)).toContain(kase.id)
    expect(q.count).toBe(q.cases.length)
  })

  it('should send agentCar to the room for a REST position, and accept the task on /mobile', async () => {
    const token = await staffToken()
    const room = uniqueRoom('car')
    const task = await rest('/car/task', 'POST', token, { car_no: 'AMB-1', room })
    const watcher = await connected(
      client(`/${room}`, { transports: ['websocket'], auth: { token: await liveKitToken(room) } }),
    )
    const car = next(watcher, 'agentCar')
    await rest('/car/task', 'PUT', token, { id: task.id, lat: 13.7563, lng: 100.5018 })
    expect(await car).toMatchObject({ taskId: task.id, carNo: 'AMB-1', lat: 13.7563, lng: 100.5018 })
    const mobile = await connected(
      client('/mobile', { transports: ['websocket'], auth: { taskId: task.id } }),
    )
    const fromApp = next(watcher, 'agentCar')
    mobile.emit('location', { lat: 13.76, lng: 100.5 })
    expect(await fromApp).toMatchObject({ taskId: task.id, lat: 13.76 })
  })
})
