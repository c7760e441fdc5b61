import { env } from 'cloudflare:workers'
import { runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import type { ConferenceRoom } from '../../src/objects/conference-room'
import type { Attachment } from '../../src/objects/room/commands'
import { MessageRoom } from '../../src/objects/room/core'
import type { RoomEvent } from '../../src/objects/room/events'

let n = 0
/** A fresh object whose storage no message room has touched (ConferenceRoom opens its room lazily). */
const fresh = () => env.CONFERENCE_ROOM.get(env.CONFERENCE_ROOM.idFromName(`core-files-${Date.now()}-${++n}`))

const options = { index: false, typingTtlMs: 5000, replayLimit: 100, maxMessageBytes: 16_384 }
const file = (id: string): Attachment => ({
  id,
  filename: `${id}.png`,
  mime_type: 'image/png',
  size: 1,
  url: `/f/${id}`,
})

describe('MessageRoom: sends with files', () => {
  it('should keep arrival order while a send’s files are looked up: later sends and commands wait behind it', async () => {
    await runInDurableObject(fresh(), async (_o: ConferenceRoom, state) => {
      let release!: () => void
      const lookup = new Promise<void>((r) => (release = r))
      const events: RoomEvent[] = []
      const room = new MessageRoom(
        state.storage,
        {
          emit: (e) => events.push(e),
          scheduleAlarm: () => undefined,
          localConnections: () => 0,
          attachments: async (_actor, ids) => {
            await lookup
            return ids.map(file)
          },
        },
        options,
      )
      const me = { id: 'u', name: 'U' }
      const image = room.execute(me, { type: 'send', content: '', message_type: 'image', file_ids: ['f1'] })
      const text = room.execute(me, { type: 'send', content: 'after' })
      const read = room.execute(me, { type: 'read', seq: 2 })
      await new Promise((r) => setTimeout(r, 50))
      // Nothing overtook the image while its file was being looked up.
      expect(events.filter((e) => e.type === 'message')).toEqual([])
      release()
      const [a, b] = await Promise.all([image, text])
      expect([a.message.seq, b.message.seq]).toEqual([1, 2])
      expect(JSON.parse(a.message.files!)).toEqual([file('f1')])
      expect(b.message).toMatchObject({ type: 'text', files: null })
      expect((await read).seq).toBe(2)
    })
  })

  it('should refuse files in a room that takes none, and non-images in an image message', async () => {
    await runInDurableObject(fresh(), async (_o: ConferenceRoom, state) => {
      const me = { id: 'u', name: 'U' }
      const host = { emit: () => undefined, scheduleAlarm: () => undefined, localConnections: () => 0 }
      const none = new MessageRoom(state.storage, host, options)
      await expect(
        none.execute(me, { type: 'send', content: '', message_type: 'file', file_ids: ['f1'] }),
      ).rejects.toMatchObject({ code: 'bad_request' })
      const pdfs = new MessageRoom(
        state.storage,
        {
          ...host,
          attachments: async (_a, ids) => ids.map((id) => ({ ...file(id), mime_type: 'application/pdf' })),
        },
        options,
      )
      await expect(
        pdfs.execute(me, { type: 'send', content: '', message_type: 'image', file_ids: ['f1'] }),
      ).rejects.toMatchObject({ code: 'validation_failed', details: { fields: [{ path: 'file_ids.0' }] } })
      expect(pdfs.lastSeq).toBe(0)
    })
  })
})
