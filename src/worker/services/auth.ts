import { and, eq, gt, isNull } from 'drizzle-orm'
import type { Config } from '../config'
import type { Db } from '../db/client'
import { refreshTokens, serviceClients, users } from '../db/schema'
import type { Env } from '../env'
import { AppError, conflict, forbidden, unauthorized } from '../lib/errors'
import { newId, secretToken, sha256Hex } from '../lib/ids'
import { isStaff } from '../lib/identity'
import { signToken } from '../lib/jwt'
import { DUMMY_HASH, hashPassword, verifyPassword } from '../lib/passwords'
import { chargeLoginAttempt, clearAccountAttempts } from './rate-limit'
import { EXCHANGE } from './refresh-exchange'
import type { UserRow } from './users'

/** Access + refresh pair as SPEC §3's golden path answers it. */
export interface SessionTokens {
  user: { id: string; email: string; name: string; role: UserRow['role'] }
  access_token: string
  refresh_token: string
  expires_in: number
}

export const accessToken = (config: Config, u: Pick<UserRow, 'id' | 'role' | 'name' | 'email'>) =>
  signToken(
    { sub: u.id, role: u.role, name: u.name, email: u.email, typ: 'access' },
    config.JWT_SECRET,
    config.ACCESS_TOKEN_TTL,
  )

async function insertRefreshToken(db: Db, config: Config, userId: string, familyId: string): Promise<string> {
  const token = secretToken()
  await db.insert(refreshTokens).values({
    id: newId(),
    userId,
    familyId,
    tokenHash: await sha256Hex(token),
    expiresAt: Date.now() + config.REFRESH_TOKEN_TTL * 1000,
  })
  return token
}

async function issueSession(db: Db, config: Config, u: UserRow, familyId = newId()): Promise<SessionTokens> {
  const [access_token, refresh_token] = await Promise.all([
    accessToken(config, u),
    insertRefreshToken(db, config, u.id, familyId),
  ])
  return {
    user: { id: u.id, email: u.email, name: u.name, role: u.role },
    access_token,
    refresh_token,
    expires_in: config.ACCESS_TOKEN_TTL,
  }
}

/** Creates a member account. A taken email is a 409, also when two registrations race. */
export async function register(
  db: Db,
  config: Config,
  input: { email: string; password: string; name: string },
): Promise<SessionTokens> {
  const existing = await db.select({ id: users.id }).from(users).where(eq(users.email, input.email)).get()
  if (existing) throw conflict('Email is already registered')
  const passwordHash = await hashPassword(input.password)
  let row: UserRow | undefined
  try {
    row = await db
      .insert(users)
      .values({ id: newId(), email: input.email, name: input.name, passwordHash, role: 'member' })
      .returning()
      .get()
  } catch (err) {
    if (String(err).includes('UNIQUE')) throw conflict('Email is already registered')
    throw err
  }
  return issueSession(db, config, row)
}

const accountDisabled = () => forbidden('Account is disabled')

/**
 * Checks email and password, charging the login rate limits first. Unknown email and wrong
 * password look alike; a disabled account (right password) gets 403.
 */
export async function authenticate(
  env: Env,
  db: Db,
  config: Config,
  email: string,
  password: string,
  ip: string,
) {
  await chargeLoginAttempt(env, config, ip, email)
  const row = await db.select().from(users).where(eq(users.email, email)).get()
  const ok = await verifyPassword(password, row?.passwordHash ?? DUMMY_HASH)
  if (!row || !ok) throw unauthorized('Invalid email or password')
  await clearAccountAttempts(env, email)
  if (row.disabledAt !== null) throw accountDisabled()
  return row
}

export async function login(env: Env, db: Db, config: Config, email: string, password: string, ip: string) {
  return issueSession(db, config, await authenticate(env, db, config, email, password, ip))
}

/**
 * Rotates a refresh token. Each token works once: the exchange marks it used atomically, so of two
 * racing refreshes only one wins. Presenting a used token again is reuse — the whole family
 * (every token descended from that login) is revoked.
 *
 * The exchange is one D1 batch (one transaction, one round trip) of two statements: insert the
 * successor only while the presented token is unused, unrevoked and unexpired; then mark the
 * presented token used only if that insert happened (`changes()` of the statement before it, same
 * transaction), returning it with its user — for the answer, or for telling reuse, revocation and
 * expiry apart. A disabled user's refresh is refused (403) and its family revoked.
 */
export async function refresh(db: Db, config: Config, token: string): Promise<SessionTokens> {
  const next = secretToken()
  const [hash, nextHash] = await Promise.all([sha256Hex(token), sha256Hex(next)])
  const now = Date.now()
  const d1 = db.$client
  const [issued, claimed] = await d1.batch([
    d1.prepare(EXCHANGE.issue).bind(newId(), nextHash, now + config.REFRESH_TOKEN_TTL * 1000, hash, now),
    d1.prepare(EXCHANGE.claim).bind(hash, now),
  ])
  const known = claimed.results[0] as
    { family_id: string; used_at: number | null; revoked_at: number | null; user: string | null } | undefined
  const user = known?.user
    ? (JSON.parse(known.user) as Pick<UserRow, 'id' | 'email' | 'name' | 'role'> & {
        disabled_at: number | null
      })
    : undefined
  if (known && user?.disabled_at != null) {
    // Disabling revoked the user's tokens; one exchanged in the same instant is revoked here.
    await revokeFamily(db, known.family_id)
    throw accountDisabled()
  }
  if (issued.meta.changes !== 1) {
    if (!known) throw unauthorized('Invalid refresh token')
    if (known.revoked_at) throw unauthorized('Refresh token has been revoked')
    if (known.used_at) {
      await revokeFamily(db, known.family_id)
      throw new AppError(
        'unauthorized',
        'Refresh token reuse detected; all sessions from this login were revoked',
      )
    }
    throw new AppError('token_expired', 'Refresh token has expired')
  }
  if (!user) throw unauthorized('Account no longer exists')
  const identity = { id: user.id, email: user.email, name: user.name, role: user.role }
  return {
    user: identity,
    access_token: await accessToken(config, identity),
    refresh_token: next,
    expires_in: config.ACCESS_TOKEN_TTL,
  }
}

async function revokeFamily(db: Db, familyId: string) {
  await db
    .update(refreshTokens)
    .set({ revokedAt: Date.now() })
    .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)))
}

/**
 * Ends sessions: with a refresh token, that login's family; without one, every session of the
 * user. Access tokens already issued stay valid until they expire (ACCESS_TOKEN_TTL).
 */
export async function logout(db: Db, userId: string, token?: string): Promise<void> {
  if (token) {
    const row = await db
      .select()
      .from(refreshTokens)
      .where(eq(refreshTokens.tokenHash, await sha256Hex(token)))
      .get()
    if (!row || row.userId !== userId) throw unauthorized('Invalid refresh token')
    return revokeFamily(db, row.familyId)
  }
  await db
    .update(refreshTokens)
    .set({ revokedAt: Date.now() })
    .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt)))
}

/** Seed 000 `GET /auth/create`: exchanges a service API key for a service JWT. */
export async function serviceToken(db: Db, config: Config, apiKey: string | undefined) {
  if (!apiKey) throw unauthorized('x-api-key header is required')
  const client = await db
    .select()
    .from(serviceClients)
    .where(eq(serviceClients.keyHash, await sha256Hex(apiKey)))
    .get()
  if (!client || !client.enabled) throw unauthorized('Invalid API key')
  await db.update(serviceClients).set({ lastUsedAt: Date.now() }).where(eq(serviceClients.id, client.id))
  const token = await signToken(
    { sub: client.id, role: 'service', name: client.name, typ: 'service' },
    config.JWT_SECRET,
    config.SERVICE_TOKEN_TTL,
  )
  return { token, expires_in: config.SERVICE_TOKEN_TTL }
}

/** Seed 000 `POST /auth/verifyuser`: staff (admin or agent) sign in and get an access token. */
export async function staffLogin(
  env: Env,
  db: Db,
  config: Config,
  email: string,
  password: string,
  ip: string,
) {
  const user = await authenticate(env, db, config, email, password, ip)
  if (!isStaff(user.role)) throw forbidden('Only staff (admin or agent) may use the gateway')
  return { token: await accessToken(config, user), expires_in: config.ACCESS_TOKEN_TTL }
}

/** Creates a service client and returns its key once (only its hash is stored). */
export async function createServiceClient(db: Db, name: string, key: string = secretToken()) {
  const id = newId()
  await db.insert(serviceClients).values({ id, name, keyHash: await sha256Hex(key) })
  return { id, name, key }
}
