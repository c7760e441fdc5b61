import { SignJWT, jwtVerify, errors } from 'jose'
import { AppError } from './errors'
import { hmacKey } from './hmac-keys'
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
  const { sub, ...rest } = claims
  return new SignJWT({ ...rest })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setJti(crypto.randomUUID())
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(await hmacKey(secret))
}

/** Verifies a Switchboard token; expired → `token_expired`, anything else wrong → `unauthorized`. */
export async function verifyToken(
  token: string,
  secret: string,
): Promise<AuthIdentity & { typ: TokenClaims['typ'] }> {
  try {
    const { payload } = await jwtVerify(token, await hmacKey(secret), {
      issuer: ISSUER,
      algorithms: ['HS256'],
    })
    const { sub, role, name, email, typ } = payload as Partial<TokenClaims> & { sub?: string }
    if (!sub || !role || (typ !== 'access' && typ !== 'service'))
      throw new AppError('unauthorized', 'Malformed token')
    return { id: sub, role, name: name ?? '', ...(email ? { email } : {}), typ }
  } catch (err) {
    if (err instanceof AppError) throw err
    if (err instanceof errors.JWTExpired) throw new AppError('token_expired', 'Token has expired')
    throw new AppError('unauthorized', 'Invalid token')
  }
}
