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

  it('should refuse plainly when it was never told its name', async () => {
    const stub = env.CONFERENCE_ROOM.get(env.CONFERENCE_ROOM.newUniqueId())
    await expect(runInDurableObject(stub, nameOf)).rejects.toThrow('Object reached without a name')
  })
})
