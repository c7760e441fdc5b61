/**
 * Whether a string's UTF-8 encoding is larger than `limit` bytes, without encoding it: n UTF-16
 * units take between n and 3n bytes, so only strings in between are counted.
 */
export function utf8Exceeds(s: string, limit: number): boolean {
  if (s.length > limit) return true
  if (s.length * 3 <= limit) return false
  return utf8Length(s) > limit
}

/** Exact UTF-8 length of a string (unpaired surrogates count as the 3-byte U+FFFD). */
export function utf8Length(s: string): number {
  let n = s.length
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) continue
    if (c < 0x800) n += 1
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2 // a surrogate pair: 2 units, 4 bytes
      i++
    } else n += 2
  }
  return n
}
