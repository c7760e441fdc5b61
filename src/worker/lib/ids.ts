import { toBase64Url } from './base64'

const ALPHANUMERIC = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'

/**
 * Random bytes from one buffer refilled 4 KiB at a time by the platform's CSPRNG (filled on first
 * use: the Workers runtime allows no randomness at module load). A `getRandomValues` call per id
 * was ~5 µs of every stored message; each byte is still used once.
 */
const pool = new Uint8Array(4096)
let next = pool.length

function randomByte(): number {
  if (next === pool.length) {
    crypto.getRandomValues(pool)
    next = 0
  }
  return pool[next++]
}

/** Uniformly random string over `alphabet` (rejection sampling, no modulo bias). */
export function randomString(length: number, alphabet: string = ALPHANUMERIC): string {
  const limit = 256 - (256 % alphabet.length)
  let out = ''
  while (out.length < length) {
    const byte = randomByte()
    if (byte < limit) out += alphabet[byte % alphabet.length]
  }
  return out
}

/** Primary keys: time-ordered, URL-safe (`<ms base36><random>`), so ids sort by creation. */
export function newId(): string {
  return Date.now().toString(36).padStart(9, '0') + randomString(12, 'abcdefghijklmnopqrstuvwxyz0123456789')
}

/** 6-character chat join code (seed 003), no look-alike characters. */
export const joinCode = () => randomString(6)

/** 32 random bytes, base64url: refresh tokens and API keys. */
export function secretToken(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(32)))
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'))
const encoder = new TextEncoder()

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let hex = ''
  for (const b of bytes) hex += HEX[b]
  return hex
}

/** Hex SHA-256 of a string: how refresh tokens and API keys are stored. */
export async function sha256Hex(text: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text))))
}
