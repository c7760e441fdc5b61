// The REST floors of the two calls the bench holds to the D1 floor: each call's unavoidable work in
// a bare Worker, on Switchboard's own tables (the floor runs on a copy of Switchboard's migrated
// state), with Switchboard's own statements and token helpers. No router, middleware, validation
// library, logging or metrics: what the call costs here before any framework (bench/suites/rest.mjs holds Switchboard's call to it, and uses it as the bound of the
// call's targets against the D1 floor).
import { newId, randomString, secretToken, sha256Hex } from '../../src/worker/lib/ids.ts'
import { signHs256 } from '../../src/worker/lib/hs256.ts'
import { EXCHANGE } from '../../src/worker/services/refresh-exchange.ts'
import { JOIN_EXISTING } from '../../src/worker/services/room-join.ts'

const SECRET = 'bench-floor-secret-0123456789abcdef'
const ACCESS_TTL = 900
const REFRESH_TTL = 2_592_000
const LIVEKIT = {
  key: 'floor-key',
  secret: 'floor-livekit-secret-0123456789abcdef',
  url: 'ws://127.0.0.1:7880',
}
/** What a service token's verification costs once an isolate has seen it: a lookup. */
const BEARER = 'Bearer floor'

const json = (status, body) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
const readJson = (request) => request.json().catch(() => undefined)

/** `POST /rest/refresh-login`: a new user and one refresh token for it (no password: not measured). */
export async function refreshLogin(env) {
  const user = newId()
  const token = secretToken()
  await env.DB.batch([
    env.DB.prepare('INSERT INTO users (id, email, name, password_hash) VALUES (?1, ?2, ?3, ?4)').bind(
      user,
      `${user}@floor.local`,
      `Floor ${user}`,
      'not-a-hash',
    ),
    env.DB.prepare(
      'INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)',
    ).bind(newId(), user, newId(), await sha256Hex(token), Date.now() + REFRESH_TTL * 1000),
  ])
  return json(200, { success: true, data: { refresh_token: token } })
}

/**
 * `POST /rest/refresh` with `{ refresh_token }`: read the body, hash the presented token, draw and
 * hash its successor, Switchboard's exchange (one D1 batch of two statements), sign the access
 * token (HS256, the same claims), answer the same envelope — or 400 / 401.
 */
export async function refresh(request, env) {
  const token = (await readJson(request))?.refresh_token
  if (typeof token !== 'string' || !token)
    return json(400, { success: false, error: { code: 'validation_error', message: 'refresh_token' } })
  const next = secretToken()
  const [hash, nextHash] = await Promise.all([sha256Hex(token), sha256Hex(next)])
  const now = Date.now()
  const [issued, claimed] = await env.DB.batch([
    env.DB.prepare(EXCHANGE.issue).bind(newId(), nextHash, now + REFRESH_TTL * 1000, hash, now),
    env.DB.prepare(EXCHANGE.claim).bind(hash, now),
  ])
  const known = claimed.results[0]
  const user = known?.user ? JSON.parse(known.user) : undefined
  if (issued.meta.changes !== 1 || !user || user.disabled_at != null)
    return json(401, { success: false, error: { code: 'unauthorized', message: 'Invalid refresh token' } })
  const iat = Math.floor(now / 1000)
  const identity = { id: user.id, email: user.email, name: user.name, role: user.role }
  const claims = { sub: user.id, role: user.role, name: user.name, email: user.email, typ: 'access' }
  const access_token = await signHs256(
    { ...claims, iss: 'switchboard', iat, jti: crypto.randomUUID(), exp: iat + ACCESS_TTL },
    SECRET,
  )
  return json(200, {
    success: true,
    data: { user: identity, access_token, refresh_token: next, expires_in: ACCESS_TTL },
  })
}

/**
 * `POST /rest/generate` with `{ room, userName, userType }` (a staff user type): check the bearer,
 * read the body, Switchboard's join of an existing room (one D1 batch: the room's row, the
 * participant inserted only if the room is open), mint the LiveKit token (HS256, the claims
 * livekit-server-sdk builds for a staff participant), answer the gateway's envelope. A room that is
 * not there yet is made first (one more round trip, first call per room only — as Switchboard's).
 */
export async function generate(request, env) {
  if (request.headers.get('authorization') !== BEARER)
    return json(401, { status: 'FAIL', message: 'Unauthorized' })
  const body = await readJson(request)
  const { room, userName, userType } = body ?? {}
  if (typeof room !== 'string' || typeof userName !== 'string' || typeof userType !== 'string')
    return json(400, { status: 'FAIL', message: 'room, userName and userType are required' })
  const identity = `${userType}-${randomString(8, 'abcdefghijklmnopqrstuvwxyz0123456789')}`
  const join = () =>
    env.DB.batch([
      env.DB.prepare(JOIN_EXISTING.room).bind(room),
      env.DB.prepare(JOIN_EXISTING.participant).bind(identity, userName, userType, room, Date.now()),
    ])
  let [found, inserted] = await join()
  if (!found.results[0]) {
    await env.DB.prepare(
      'INSERT OR IGNORE INTO conference_rooms (name, node, expires_at) VALUES (?1, ?2, ?3)',
    )
      .bind(room, 'floor', Date.now() + 86_400_000)
      .run()
    ;[found, inserted] = await join()
  }
  const row = found.results[0]
  if (!row || inserted.meta.changes !== 1) return json(409, { status: 'FAIL', message: 'Room is closed' })
  const now = Math.floor(Date.now() / 1000)
  const token = await signHs256(
    {
      name: userName,
      video: {
        canPublish: true,
        canPublishSources: ['camera', 'microphone', 'screen_share', 'screen_share_audio'],
        canSubscribe: true,
        canPublishData: true,
        canUpdateOwnMetadata: true,
        roomJoin: true,
        room,
      },
      metadata: JSON.stringify({ userType, room }),
      attributes: { userType },
      iss: LIVEKIT.key,
      exp: now + Math.max(60, Math.floor((row.expires_at - Date.now()) / 1000)),
      nbf: now,
      sub: identity,
    },
    LIVEKIT.secret,
    'bare',
  )
  return json(200, { status: 'SUCCESS', data: { room, identity, token, url: LIVEKIT.url } })
}
