import { describe, expect, it } from 'vitest'
import { joinCode, newId, randomString } from '../../src/worker/lib/ids'

// Ids draw their bytes from one 4 KiB buffer of CSPRNG output, refilled when used up
// (src/worker/lib/ids.ts): these hold the strings to their alphabets, lengths and uniformity across
// many refills, and the ids to their order and uniqueness.

describe('randomString', () => {
  it('should give strings of the asked length over the asked alphabet, across many refills of its bytes', () => {
    for (const alphabet of [
      '01',
      'abcdefghijklmnopqrstuvwxyz0123456789',
      'ABCDEFGHIJKLMOPQRSTUVWXYZabcdefghijklmopqrstuvwxyz',
    ]) {
      const allowed = new RegExp(`^[${alphabet}]{17}$`)
      for (let i = 0; i < 2_000; i++) expect(randomString(17, alphabet)).toMatch(allowed)
    }
    expect(joinCode()).toMatch(/^[A-HJ-NP-Z2-9]{6}$/)
  })

  it('should use every character of an alphabet that does not divide 256 equally often', () => {
    // 50 characters: bytes ≥ 250 are rejected, or the first six would come up more often.
    const alphabet = 'ABCDEFGHIJKLMOPQRSTUVWXYZabcdefghijklmopqrstuvwxyz'
    const counts = new Map<string, number>()
    const n = 200_000
    for (const ch of randomString(n, alphabet)) counts.set(ch, (counts.get(ch) ?? 0) + 1)
    expect(counts.size).toBe(alphabet.length)
    const expected = n / alphabet.length // 4,000; one standard deviation ≈ 62
    for (const [ch, count] of counts) expect(Math.abs(count - expected), ch).toBeLessThan(400)
  })
})

describe('newId', () => {
  it('should be unique, URL-safe, and sort in creation order across milliseconds', async () => {
    const ids: string[] = []
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 5_000; i++) ids.push(newId())
      await new Promise((r) => setTimeout(r, 2))
    }
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of ids) expect(id).toMatch(/^[0-9a-z]{21}$/)
    const firsts = [ids[0], ids[5_000], ids[10_000]]
    expect([...firsts].sort()).toEqual(firsts)
    expect(firsts[0] < firsts[1] && firsts[1] < firsts[2]).toBe(true)
  })
})
