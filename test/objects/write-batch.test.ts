import { describe, expect, it } from 'vitest'
import { WriteBatch } from '../../src/objects/room/write-batch'

describe('WriteBatch', () => {
  it('should run work queued in one turn together, in order, each caller getting its own result or error', async () => {
    const b = new WriteBatch()
    const ran: number[] = []
    const runs = [1, 2, 3].map((i) =>
      b.run(() => {
        ran.push(i)
        if (i === 2) throw new Error('two')
        return i * 10
      }),
    )
    expect(ran).toEqual([]) // nothing runs in the caller's turn
    const settled = await Promise.allSettled(runs)
    expect(ran).toEqual([1, 2, 3])
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message))).toEqual([
      10,
      'two',
      30,
    ])
  })

  it('should make later commands wait for queued writes only while some are queued', async () => {
    const b = new WriteBatch()
    expect(b.idle).toBeUndefined()
    const order: string[] = []
    void b.run(() => order.push('write'))
    const idle = b.idle
    expect(idle).toBeInstanceOf(Promise)
    await idle
    order.push('after')
    expect(order).toEqual(['write', 'after'])
    expect(b.idle).toBeUndefined()
  })
})
