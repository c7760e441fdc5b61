import { env } from 'cloudflare:workers'
import { evictDurableObject, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'

// An object woken by its alarm after a restart is not told its name (ctx.id.name is undefined
// there; reproduced with the bench's kill-and-restart run under `wrangler dev`). Inside the test
// pool every wake carries the name, so this checks what the fallback reads: the name kept in
// storage by the first named request.

const nameOf = (o: unknown) => (o as { name: string }).name

describe('Channel name', () => {
  it('should keep its name in storage once a named request told it', async () => {
    const name = `name-${crypto.randomUUID()}`
    const stub = env.CONFERENCE_ROOM.getByName(name)
    expect(await runInDurableObject(stub, nameOf)).toBe(name)
    await evictDurableObject(stub)
    expect(await runInDurableObject(stub, (_o, state) => state.storage.kv.get('channel:name'))).toBe(name)
  })

  it('should answer to its name after erasing its storage, in an instance its storage told it', async () => {
    // As after a restart: an instance its alarm woke is not told its name (an id without one,
    // here); it empties and erases its storage (a Socket.IO home object does) before anything
    // asked its name, and its next request, reaching it by name, must still get its name.
    const stub = env.CONFERENCE_ROOM.get(env.CONFERENCE_ROOM.newUniqueId())
    const name = `kept-${crypto.randomUUID()}`
    const seen = await runInDurableObject(stub, async (o, state) => {
      state.storage.kv.put('channel:name', name)
      const room = o as unknown as { name: string; eraseStorage(): Promise<void> }
      await room.eraseStorage()
      const erased = state.storage.kv.get('channel:name')
      const after = room.name
      return { erased, after, stored: state.storage.kv.get('channel:name') }
    })
    expect(seen).toEqual({ erased: undefined, after: name, stored: name })
  })

  it('should keep its name with the first alarm it sets after erasing its storage', async () => {
    const name = `alarm-${crypto.randomUUID()}`
    const stub = env.CONFERENCE_ROOM.getByName(name)
    const kept = await runInDurableObject(stub, async (o, state) => {
      const room = o as unknown as {
        name: string
        eraseStorage(): Promise<void>
        scheduleAlarm(at: number): void
      }
      void room.name
      await room.eraseStorage()
      const afterErase = state.storage.kv.get('channel:name')
      room.scheduleAlarm(Date.now() + 60_000)
      return { afterErase, withAlarm: state.storage.kv.get('channel:name') }
    })
    expect(kept).toEqual({ afterErase: undefined, withAlarm: name })
    await evictDurableObject(stub)
    expect(await runInDurableObject(stub, (_o, state) => state.storage.kv.get('channel:name'))).toBe(name)
  })

  it('should refuse plainly when it was never told its name', async () => {
    const stub = env.CONFERENCE_ROOM.get(env.CONFERENCE_ROOM.newUniqueId())
    await expect(runInDurableObject(stub, nameOf)).rejects.toThrow('Object reached without a name')
  })
})
