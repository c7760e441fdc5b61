import { env } from 'cloudflare:workers'
import { runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { FanOut } from '../../src/objects/fanout'
import { eraseStorage } from '../../src/objects/lazy-tables'
import { PendingAcks } from '../../src/objects/socketio/acks'

/** Runs `fn` in a fresh conference object (its own storage, which it leaves empty until used). */
const inFreshObject = <T>(fn: (storage: DurableObjectStorage) => T | Promise<T>): Promise<T> =>
  runInDurableObject(env.CONFERENCE_ROOM.getByName(`lazy-${crypto.randomUUID()}`), (_o, state) =>
    fn(state.storage),
  )

const tables = (sql: SqlStorage) =>
  sql
    .exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%'`)
    .toArray()
    .map((r) => r.name)
    .sort()

describe('tables created by their first write (lazy-tables.ts)', () => {
  it('should start a Socket.IO object with no tables at all', async () => {
    expect(await inFreshObject((s) => tables(s.sql))).toEqual([])
  })

  it('should answer a fan-out with no followers from no table, create it on the first follow, and start over after an erase', async () => {
    await inFreshObject(async (storage) => {
      const sent: string[][] = []
      const f = new FanOut<string>(storage.sql, {
        send: async (_home, _topic, items) => (sent.push(items), 1),
      })
      f.publish('t', 'nobody')
      expect([f.connections('t'), f.members('t'), [...f.homes('t')], f.dropMember('t', 'a')]).toEqual([
        0,
        [],
        [],
        [],
      ])
      f.unfollow('t', 'h1', 'a')
      expect(tables(storage.sql)).toEqual([])

      f.follow('t', 'h1', 'a')
      expect(tables(storage.sql)).toEqual(['fanout_followers'])
      expect([...f.homes('t')]).toEqual(['h1'])

      await eraseStorage(storage)
      expect(tables(storage.sql)).toEqual([])
      // Nothing cached survives the erase: no home to send to, no count.
      f.publish('t', 'after erase')
      await new Promise((r) => setTimeout(r, 0))
      expect(sent).toEqual([])
      expect(f.connections('t')).toBe(0)
      f.follow('t', 'h2', 'b')
      expect([...f.homes('t')]).toEqual(['h2'])
      expect(f.connections('t', 'b')).toBe(1)
    })
  })

  it('should keep no ack table until an ack is asked, and restart the id counter after an erase', async () => {
    await inFreshObject(async (storage) => {
      const acks = new PendingAcks(storage.sql)
      expect([acks.nextExpiry(), acks.expire(), acks.export('e1'), acks.take('e1', '/', 1)]).toEqual([
        undefined,
        0,
        [],
        undefined,
      ])
      acks.drop('e1')
      acks.import('e1', [])
      expect(tables(storage.sql)).toEqual([])

      const expires = Date.now() + 60_000
      expect(acks.nextId()).toBe(1)
      acks.add('e1', '/', 1, { purpose: 'p' }, expires)
      expect(tables(storage.sql)).toEqual(['sio_acks', 'sio_meta'])
      expect(acks.nextExpiry()).toBe(expires)
      // Another instance over the same storage (a later wake) sees the tables and the counter.
      expect(new PendingAcks(storage.sql).nextId()).toBe(2)

      await eraseStorage(storage)
      expect(tables(storage.sql)).toEqual([])
      expect(acks.nextExpiry()).toBeUndefined()
      expect(acks.nextId()).toBe(1)
      expect(tables(storage.sql)).toEqual(['sio_acks', 'sio_meta'])
    })
  })

  it('should erase key-value entries and the alarm too', async () => {
    await inFreshObject(async (storage) => {
      storage.kv.put('k', 1)
      await storage.setAlarm(Date.now() + 60_000)
      await eraseStorage(storage)
      expect([[...storage.kv.list()], await storage.getAlarm()]).toEqual([[], null])
    })
  })
})
