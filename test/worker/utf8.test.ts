import { describe, expect, it } from 'vitest'
import { utf8Exceeds, utf8Length } from '../../src/worker/lib/utf8'

const encoded = (s: string) => new TextEncoder().encode(s).byteLength

describe('utf8', () => {
  it('should count like TextEncoder, surrogate pairs and lone surrogates included', () => {
    const samples = [
      '',
      'abc',
      'é',
      'ไทย',
      '€uro',
      '😀',
      'a😀b',
      '\ud800',
      '\udc00x',
      '\ud83d',
      'x\ud83d\ude00\udc00',
    ]
    for (const s of samples) expect(utf8Length(s), JSON.stringify(s)).toBe(encoded(s))
  })

  it('should say whether a string passes a byte limit exactly at the boundary', () => {
    for (const s of ['aaaa', 'ééé', '😀😀', 'aé😀ไ']) {
      const size = encoded(s)
      expect(utf8Exceeds(s, size)).toBe(false)
      expect(utf8Exceeds(s, size - 1)).toBe(true)
      expect(utf8Exceeds(s, size * 3)).toBe(false)
    }
  })
})
