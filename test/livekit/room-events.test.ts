import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { db } from '../../src/worker/db/client'
import { conferenceRooms } from '../../src/worker/db/schema'
import { call, json, runCron } from '../helpers'
import { signWebhook, webhookBody } from '../livekit-double'
import { roomParticipants, watchRoom } from './room-socket'

const { lk, staff, generate } = roomParticipants()

let n = 0
async function roomWithWatcher() {
  const room = `ev-${Date.now().toString(36)}-${++n}`
  const grant = await generate(room)
  return { room, grant, socket: await watchRoom(room, grant.token) }
}
async function deliver(body: string) {
  const res = await call('/webhook', {
    method: 'POST',
    headers: { authorization: await signWebhook(body) },
    body,
  })
  expect(res.status).toBe(200)
}

describe('room events reach the room’s Socket.IO namespace', () => {
  it('should announce participant_joined as user-connection and participant_left as user-disconnect', async () => {
    const { room, socket } = await roomWithWatcher()
    const participant = { identity: 'caller-1', name: 'Somchai', attributes: { userType: 'caller' } }
    await deliver(webhookBody('participant_joined', { room: { name: room }, participant }))
    expect(await socket.waitFor('user-connection')).toMatchObject({
      room,
      identity: 'caller-1',
      name: 'Somchai',
      user_type: 'caller',
    })
    await deliver(webhookBody('participant_left', { room: { name: room }, participant }))
    expect(await socket.waitFor('user-disconnect')).toMatchObject({
      room,
      identity: 'caller-1',
      reason: 'left',
    })
    socket.close()
  })

  it('should announce room_started and the recording lifecycle (room-record)', async () => {
    const { room, socket } = await roomWithWatcher()
    await deliver(webhookBody('room_started', { room: { name: room } }))
    expect(await socket.waitFor('conference-status')).toMatchObject({ room, status: 'started' })
    const rec = (await json(await call(`/record/request?room=${room}`, { token: staff() }))).data
    expect(await socket.waitFor('room-record', (d) => d.status === 'starting')).toMatchObject({
      recording: { id: rec.id },
    })
    lk.setEgressStatus(rec.egress_id, 'EGRESS_COMPLETE')
    await deliver(webhookBody('egress_ended', { egressInfo: lk.egressInfoJson(rec.egress_id) }))
    const done = await socket.waitFor('room-record', (d) => d.status === 'complete')
    expect(done.recording.r2_key).toBe(`recordings/${room}/${rec.id}.mp4`)
    socket.close()
  })

  it('should tell the sockets conference-status closed when the expiry cron closes the room', async () => {
    const { room, socket } = await roomWithWatcher()
    await db(env.DB)
      .update(conferenceRooms)
      .set({ expiresAt: Date.now() - 1 })
      .where(eq(conferenceRooms.name, room))
    await runCron('*/30 * * * *')
    expect(await socket.waitFor('conference-status', (d) => d.status === 'closed')).toMatchObject({
      room,
      reason: 'expired',
    })
    socket.close()
  })

  it('should tell the sockets user-disconnect when staff remove a participant', async () => {
    const { room, socket } = await roomWithWatcher()
    lk.join(room, 'caller-9')
    await call('/user/removeParticipant', {
      method: 'POST',
      token: staff(),
      json: { room, identity: 'caller-9' },
    })
    expect(await socket.waitFor('user-disconnect')).toMatchObject({ identity: 'caller-9', reason: 'removed' })
    socket.close()
  })
})
