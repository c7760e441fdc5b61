import { runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { FanOut } from '../../src/objects/fanout'
import { chatRoomStub, type ChatRoom } from './test-classes'

/** Runs `fn` with the SQLite storage of a fresh object (a chat's object nobody else uses). */
function withSql<T>(fn: (sql: SqlStorage) => T | Promise<T>): Promise<T> {
  return runInDurableObject(chatRoomStub(`fanout-${crypto.randomUUID()}`), (_o: ChatRoom, state) =>
    fn(state.storage.sql),
  )
}

const tick = () => new Promise((r) => setTimeout(r, 0))

describe('FanOut (one fan-out across objects for chats and Socket.IO)', () => {
  it('should send each home one delivery per turn, in order, and count connections per member', async () => {
    await withSql(async (sql) => {
      const sent: { home: string; topic: string; items: string[] }[] = []
      const f = new FanOut<string>(sql, {
        send: async (home, topic, items) => {
          sent.push({ home, topic, items })
          return 1
        },
      })
      f.follow('t', 'h1', 'alice')
      f.follow('t', 'h1', 'alice')
      f.follow('t', 'h2', 'bob')
      f.follow('other', 'h3', 'carol')
      expect(f.connections('t')).toBe(3)
      expect(f.connections('t', 'alice')).toBe(2)
      expect([...f.homes('t')].sort()).toEqual(['h1', 'h2'])
      f.publish('t', 'a')
      f.publish('t', 'b')
      await tick()
      f.publish('t', 'c')
      for (let i = 0; i < 20 && sent.length < 4; i++) await tick()
      const h1 = sent.filter((s) => s.home === 'h1')
      expect(h1.map((s) => s.items)).toEqual([['a', 'b'], ['c']])
      expect(sent.every((s) => s.topic === 't')).toBe(true)
      // One of alice's two connections leaves: h1 still follows; the second one: it does not.
      f.unfollow('t', 'h1', 'alice')
      expect([...f.homes('t')].sort()).toEqual(['h1', 'h2'])
      f.unfollow('t', 'h1', 'alice')
      expect([...f.homes('t')]).toEqual(['h2'])
      expect(f.connections('t', 'alice')).toBe(0)
      // Removing a member everywhere answers where it was followed from.
      expect(f.dropMember('t', 'bob')).toEqual(['h2'])
      expect(f.homes('t').size).toBe(0)
      expect(f.connections('other')).toBe(1)
    })
  })

  it('should queue an item for one home only, in order with what every home gets', async () => {
    await withSql(async (sql) => {
      const sent: { home: string; items: string[] }[] = []
      const f = new FanOut<string>(sql, {
        send: async (home, _topic, items) => {
          sent.push({ home, items })
          return 1
        },
      })
      f.follow('t', 'h1', 'a')
      f.follow('t', 'h2', 'b')
      f.publish('t', 'all-1')
      f.publishTo('t', 'h2', 'only-h2')
      f.publishTo('t', 'h3', 'nobody') // not following: nothing queued
      f.publish('t', 'all-2')
      for (let i = 0; i < 20 && sent.length < 2; i++) await tick()
      expect(sent.find((s) => s.home === 'h1')?.items).toEqual(['all-1', 'all-2'])
      expect(sent.find((s) => s.home === 'h2')?.items).toEqual(['all-1', 'only-h2', 'all-2'])
      expect(sent.some((s) => s.home === 'h3')).toBe(false)
    })
  })

  it('should drop a home that answers it holds no subscriber, and keep one whose delivery failed', async () => {
    await withSql(async (sql) => {
      const answers: Record<string, () => Promise<number>> = {
        empty: async () => 0,
        broken: async () => {
          throw new Error('unreachable')
        },
        live: async () => 2,
      }
      const f = new FanOut<string>(sql, { send: (home) => answers[home]!() })
      for (const home of Object.keys(answers)) f.follow('t', home, `m-${home}`)
      f.publish('t', 'x')
      for (let i = 0; i < 20 && f.homes('t').has('empty'); i++) await tick()
      expect([...f.homes('t')].sort()).toEqual(['broken', 'live'])
      // Stored, not only in memory: a new instance over the same table sees the same homes.
      const again = new FanOut<string>(sql, { send: async () => 1 })
      expect([...again.homes('t')].sort()).toEqual(['broken', 'live'])
    })
  })

  it('should copy the rows of a legacy followers table once and drop it', async () => {
    await withSql((sql) => {
      sql.exec(`CREATE TABLE followers (home TEXT NOT NULL, user_id TEXT NOT NULL, conns INTEGER NOT NULL)`)
      sql.exec(`INSERT INTO followers VALUES ('h1', 'alice', 2), ('h2', 'bob', 1)`)
      const legacy = {
        table: 'followers',
        copy: `INSERT OR IGNORE INTO fanout_followers (topic, home, member, conns)
          SELECT 'chat', home, user_id, conns FROM followers`,
      }
      const f = new FanOut<string>(sql, { send: async () => 1, legacy })
      expect(f.connections('chat')).toBe(3)
      expect(f.connections('chat', 'alice')).toBe(2)
      const tables = sql
        .exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'followers'`)
        .toArray()
      expect(tables).toEqual([])
      // A later wake finds nothing to copy.
      expect(new FanOut<string>(sql, { send: async () => 1, legacy }).connections('chat')).toBe(3)
    })
  })
})
