import { describe, expect, it } from 'vitest'
import { BATCH_MAX_CHARS, FrameBatches, splitBatch } from '../../src/objects/frame-batches'

const frame = (i: number, size: number) =>
  JSON.stringify({ type: 'new_message', seq: i, content: 'x'.repeat(size) })

describe('splitBatch', () => {
  it('should keep every frame, in order, in arrays no longer than BATCH_MAX_CHARS', () => {
    const list = Array.from({ length: 750 }, (_, i) => frame(i + 1, 500))
    const out = splitBatch(list)
    expect(out.length).toBeGreaterThan(1)
    for (const f of out) expect(f.length).toBeLessThanOrEqual(BATCH_MAX_CHARS)
    const seqs = out.flatMap((f) => (JSON.parse(f) as { seq: number }[]).map((m) => m.seq))
    expect(seqs).toEqual(list.map((_, i) => i + 1))
  })

  it('should send one small batch as a single array, and an oversized frame alone', () => {
    expect(splitBatch([frame(1, 10), frame(2, 10)])).toHaveLength(1)
    const big = frame(3, BATCH_MAX_CHARS)
    const out = splitBatch([frame(1, 10), big, frame(4, 10)])
    expect(out.map((f) => (JSON.parse(f) as { seq: number }[]).map((m) => m.seq))).toEqual([[1], [3], [4]])
  })
})

describe('FrameBatches', () => {
  it('should give each socket its own frames in order, joined once per distinct sequence', () => {
    const b = new FrameBatches<string>()
    const [m1, m2, ack] = [frame(1, 5), frame(2, 5), '{"type":"message_ack"}']
    for (const k of ['a', 'b', 'c']) b.push(k, m1)
    b.push('a', ack)
    for (const k of ['a', 'b', 'c']) b.push(k, m2)
    const out = new Map(b.drain())
    expect(out.get('a')).toEqual([`[${m1},${ack},${m2}]`])
    expect(out.get('b')).toEqual([`[${m1},${m2}]`])
    expect(out.get('c')).toBe(out.get('b'))
    expect(b.size).toBe(0)
    b.push('a', m2)
    expect(b.drain()).toEqual([['a', [`[${m2}]`]]])
  })
})
