import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { RoomServiceClient } from 'livekit-server-sdk'
import { loadConfig } from '../../src/worker/config'
import { LiveKitEgress, LiveKitRoomService, recordingStorage } from '../../src/worker/lib/livekit'
import { configuredNode, installLiveKitDouble } from '../livekit-double'

const lk = installLiveKitDouble()
beforeEach(() => lk.reset())

const rooms = () => new LiveKitRoomService(configuredNode())
const egress = () => new LiveKitEgress(configuredNode(), recordingStorage(loadConfig(env)))

describe('LiveKit wrappers against the double', () => {
  it('should run every RoomService call the product makes, each with the grant it needs', async () => {
    const svc = rooms()
    const created = await svc.createRoom({ name: 'w1', emptyTimeout: 60 })
    expect(created).toMatchObject({ name: 'w1', emptyTimeout: 60 })
    lk.join('w1', 'alice', { tracks: ['audio', 'video'] })
    expect((await svc.listRooms()).map((r) => r.name)).toEqual(['w1'])
    expect(await svc.updateRoomMetadata('w1', '{"a":1}')).toMatchObject({ metadata: '{"a":1}' })
    const [alice] = await svc.listParticipants('w1')
    expect(alice).toMatchObject({ identity: 'alice', state: 'ACTIVE' })
    const audio = (alice.tracks as { sid: string; type: string }[]).find((t) => t.type === 'AUDIO')!
    expect(await svc.mutePublishedTrack('w1', 'alice', audio.sid, true)).toMatchObject({
      sid: audio.sid,
      muted: true,
    })
    expect(await svc.updateParticipant('w1', 'alice', { name: 'Alice', metadata: 'm' })).toMatchObject({
      name: 'Alice',
      metadata: 'm',
    })
    await svc.removeParticipant('w1', 'alice')
    expect(await svc.listParticipants('w1')).toEqual([])
    await svc.deleteRoom('w1')
    expect(await svc.listRooms()).toEqual([])
    expect(lk.calls.map((c) => [c.method, c.status])).toEqual([
      ['CreateRoom', 200],
      ['ListRooms', 200],
      ['UpdateRoomMetadata', 200],
      ['ListParticipants', 200],
      ['MutePublishedTrack', 200],
      ['UpdateParticipant', 200],
      ['RemoveParticipant', 200],
      ['ListParticipants', 200],
      ['DeleteRoom', 200],
      ['ListRooms', 200],
    ])
    for (const c of lk.calls.filter((x) => x.grant.roomAdmin)) expect(c.grant.room).toBe('w1')
  })

  it('should run every Egress call with roomRecord and an S3 (R2) file output under recordings/', async () => {
    await rooms().createRoom({ name: 'w2' })
    lk.join('w2', 'bob', { tracks: ['audio', 'video'] })
    const eg = egress()
    const started = await eg.startRoomComposite('w2', 'recordings/w2/a.mp4')
    expect(started).toMatchObject({ roomName: 'w2', status: 'EGRESS_STARTING' })
    const call = lk.callsOf('Egress/StartRoomCompositeEgress')[0]
    expect(call.grant.roomRecord).toBe(true)
    expect(call.body.file_outputs[0]).toMatchObject({
      filepath: 'recordings/w2/a.mp4',
      s3: { bucket: 'switchboard', force_path_style: true },
    })
    const tracks = lk.node().rooms.get('w2')!.participants.get('bob')!.tracks
    const t = await eg.startTrackComposite('w2', 'recordings/w2/b.mp4', {
      audioTrackId: tracks[0].sid,
      videoTrackId: tracks[1].sid,
    })
    expect(t.status).toBe('EGRESS_STARTING')
    expect((await eg.list({ roomName: 'w2', active: true })).map((e) => e.egressId).sort()).toEqual(
      [started.egressId, t.egressId].sort(),
    )
    expect(await eg.stop(String(started.egressId))).toMatchObject({ status: 'EGRESS_ENDING' })
    expect(lk.callsOf().every((c) => c.service !== 'Egress' || c.grant.roomRecord === true)).toBe(true)
  })

  it('should refuse a call whose token lacks the grant (the double checks grants)', async () => {
    const node = configuredNode()
    // A client authenticated with a participant-like token (no roomCreate) must be refused.
    const { AccessToken } = await import('livekit-server-sdk')
    const at = new AccessToken(node.apiKey, node.apiSecret, { identity: 'x' })
    at.addGrant({ roomJoin: true, room: 'w3' })
    const client = new RoomServiceClient(node.url, undefined, undefined, { token: await at.toJwt() })
    await expect(client.createRoom({ name: 'w3' })).rejects.toMatchObject({
      status: 403,
      code: 'permission_denied',
    })
    const other = new RoomServiceClient(node.url, node.apiKey, 'wrong-secret-wrong-secret-wrong-secret')
    await expect(other.listRooms()).rejects.toMatchObject({ status: 401, code: 'unauthenticated' })
    expect(lk.node().rooms.size).toBe(0)
  })

  it('should map an unreachable node to 503 and an error reply to 502, both naming LiveKit', async () => {
    lk.setDown('default')
    await expect(rooms().listRooms()).rejects.toMatchObject({
      status: 503,
      code: 'upstream_unavailable',
      message: expect.stringContaining('LiveKit'),
    })
    lk.setDown('default', false)
    lk.failNext('RoomService/ListRooms', 500, 'internal', 'boom')
    await expect(rooms().listRooms()).rejects.toMatchObject({
      status: 502,
      code: 'upstream_error',
      message: expect.stringContaining('LiveKit'),
    })
    await expect(rooms().listParticipants('missing')).rejects.toMatchObject({
      status: 404,
      code: 'not_found',
    })
  })
})
