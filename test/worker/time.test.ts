import { describe, expect, it } from 'vitest'
import { iso } from '../../src/worker/lib/time'

describe('iso', () => {
  it('should format exactly as Date#toISOString, at every millisecond width and second boundary', () => {
    const now = Date.now()
    const samples = [
      0,
      1,
      9,
      10,
      99,
      100,
      999,
      1000,
      1001,
      59_999,
      60_000,
      now,
      now + 1,
      now - 1,
      now + 999,
      1_767_225_599_999,
      1_767_225_600_000,
      951_782_400_000,
      253_402_300_799_999,
      1.9,
      now + 0.5,
    ]
    // 2,000 timestamps spread over 1970–2100, the same every run (a linear congruential sequence).
    let x = 12345
    for (let i = 0; i < 2000; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31
      samples.push(Math.floor((x / 2 ** 31) * 4_102_444_800_000))
    }
    for (let i = 0; i < 2000; i++) samples.push(now + i * 7)
    for (const ms of samples) expect(iso(ms), String(ms)).toBe(new Date(ms).toISOString())
  })

  it('should format what the cached second cannot (before 1970, from year 10000) as Date does', () => {
    for (const ms of [-1, -999, -1000, -1001, -86_400_000, -62_198_755_200_000, 253_402_300_800_000])
      expect(iso(ms), String(ms)).toBe(new Date(ms).toISOString())
  })

  it('should answer null for null and undefined, and throw as Date does for NaN', () => {
    expect(iso(null)).toBeNull()
    expect(iso(undefined)).toBeNull()
    expect(() => iso(Number.NaN)).toThrow(RangeError)
    expect(() => iso(8.64e15 + 1)).toThrow(RangeError)
  })
})
