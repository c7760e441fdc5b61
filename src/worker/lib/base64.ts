/**
 * Base64 for the whole system (workerd has `btoa`/`atob` over byte strings only): Engine.IO's
 * binary polling records and password hashes use the standard alphabet; tokens, JWTs and session
 * ids the URL-safe one without padding (RFC 4648 §5).
 */

/** Standard base64 of `bytes`. */
export function toBase64(bytes: Uint8Array): string {
  let s = ''
  // In slices: fromCharCode takes its bytes as arguments, and arguments are bounded.
  for (let i = 0; i < bytes.length; i += 0x8000)
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000) as unknown as number[])
  return btoa(s)
}

/** Unpadded base64url of `bytes`. */
export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/[+/=]/g, (ch) => URL_SAFE[ch as '+' | '/' | '=']!)
}
const URL_SAFE = { '+': '-', '/': '_', '=': '' }

/** The bytes of standard base64 (padded or not); throws on anything else (`atob`). */
export function fromBase64(text: string): Uint8Array {
  const s = atob(text)
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i)
  return out
}

/** The bytes of base64url; throws on anything else. */
export const fromBase64Url = (text: string) =>
  fromBase64(text.replace(/[-_]/g, (ch) => (ch === '-' ? '+' : '/')))
