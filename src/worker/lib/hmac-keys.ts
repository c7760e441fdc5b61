/**
 * HMAC-SHA256 keys for JWT signing and verification, imported once per secret and isolate instead
 * of once per token (jose imports a raw secret on every call). Secrets are few (JWT_SECRET and the
 * LiveKit nodes'), so the cache stays small.
 */
const keys = new Map<string, Promise<CryptoKey>>()
const encoder = new TextEncoder()

export function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret)
  if (!key) {
    key = crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ])
    keys.set(secret, key)
    key.catch(() => keys.delete(secret))
  }
  return key
}
