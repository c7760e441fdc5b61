import { hmacKey } from './hmac-keys'
import { toHex } from './ids'

/**
 * Outbound webhook signatures (README "Operations"): `v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`,
 * with the timestamp (Unix seconds) in its own header, so a receiver can refuse stale replays.
 */
export const SIGNATURE_HEADER = 'x-switchboard-signature'
export const TIMESTAMP_HEADER = 'x-switchboard-timestamp'

const encoder = new TextEncoder()

/** The signature header's value for `body` sent at `timestamp` (Unix seconds). */
export async function signWebhook(secret: string, timestamp: number, body: string): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', await hmacKey(secret), encoder.encode(`${timestamp}.${body}`))
  return `v1=${toHex(new Uint8Array(mac))}`
}

/**
 * What a receiver does: true when `signature` is `body`'s at `timestamp` under `secret` and the
 * timestamp is within `toleranceSeconds` of `now`. Compares in constant time.
 */
export async function verifyWebhook(
  secret: string,
  timestamp: string | null,
  body: string,
  signature: string | null,
  { toleranceSeconds = 300, now = Date.now() } = {},
): Promise<boolean> {
  if (!timestamp || !signature || !/^\d+$/.test(timestamp)) return false
  if (Math.abs(now / 1000 - Number(timestamp)) > toleranceSeconds) return false
  const expected = encoder.encode(await signWebhook(secret, Number(timestamp), body))
  const given = encoder.encode(signature)
  if (expected.length !== given.length) return false
  let diff = 0
  for (let i = 0; i < expected.length; i++) diff |= expected[i] ^ given[i]
  return diff === 0
}
