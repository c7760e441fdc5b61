import { describe, expect, it } from 'vitest'
import { BATCH_MAX_CHARS, splitBatch } from '../../src/objects/chat-room'

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
