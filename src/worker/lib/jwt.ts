import { jwtVerify, errors } from 'jose'
import { AppError } from './errors'
import { hmacKey } from './hmac-keys'
import { signHs256 } from './hs256'
import type { AuthIdentity, Role } from './identity'

const ISSUER = 'switchboard'

/** What an access or service token carries. `typ` keeps the two apart. */
export interface TokenClaims {
  sub: string
  role: Role
  name: string
  email?: string
  typ: 'access' | 'service'
}

/** Signs an HS256 access or service token valid for `ttlSeconds`. */
export async function signToken(claims: TokenClaims, secret: string, ttlSeconds: number): Promise<string> {
  const iat = Math.floor(Date.now() / 1000)
  return signHs256({ ...claims, iss: ISSUER, iat, jti: crypto.randomUUID(), exp: iat + ttlSeconds }, secret)
}

/** How many verified tokens an isolate remembers (per secret); the oldest is dropped beyond. */
const VERIFIED_CACHE_SIZE = 1024

type VerifiedIdentity = AuthIdentity & { typ: TokenClaims['typ'] }
/** Tokens already verified in this isolate, per secret: the identity and when the token expires (ms). */
const verified = new Map<string, Map<string, { identity: VerifiedIdentity; expiresAt: number }>>()

/**
 * Verifies a Switchboard token; expired → `token_expired`, anything else wrong → `unauthorized`.
 * A token verified once is remembered until it expires (a signed token's claims never change, and
 * access tokens are not revocable before they expire), so a client presenting the same token on
 * every request costs one HMAC verification per isolate, not one per request.
 */
export async function verifyToken(token: string, secret: string): Promise<VerifiedIdentity> {
  let known = verified.get(secret)
  const hit = known?.get(token)
  if (hit && hit.expiresAt > Date.now()) return hit.identity
  try {
    const { payload } = await jwtVerify(token, await hmacKey(secret), {
      issuer: ISSUER,
      algorithms: ['HS256'],
    })
    const { sub, role, name, email, typ } = payload as Partial<TokenClaims> & { sub?: string }
    if (!sub || !role || (typ !== 'access' && typ !== 'service'))
      throw new AppError('unauthorized', 'Malformed token')
    const identity: VerifiedIdentity = Object.freeze({
      id: sub,
      role,
      name: name ?? '',
      ...(email ? { email } : {}),
      typ,
    })
    if (payload.exp !== undefined) {
      if (!known) verified.set(secret, (known = new Map()))
      if (known.size >= VERIFIED_CACHE_SIZE) known.delete(known.keys().next().value!)
      known.set(token, { identity, expiresAt: payload.exp * 1000 })
    }
    return identity
  } catch (err) {
    if (err instanceof AppError) throw err
    if (err instanceof errors.JWTExpired) throw new AppError('token_expired', 'Token has expired')
    throw new AppError('unauthorized', 'Invalid token')
  }
}
