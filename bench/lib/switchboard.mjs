// Switchboard as a bench subject: fresh local state (migrated D1 + a service API key), started
// through `wrangler dev` or in a single workerd (Miniflare), plus the calls that get tokens.
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { SignJWT } from 'jose'
import { unstable_readConfig } from 'wrangler'
import { call, request } from './http.mjs'
import { SUBJECT_ROOT, startMiniflare, startWranglerDev, wrangler } from './servers.mjs'

export const SERVICE_KEY = 'dev-service-key'
/** The JWT secret bench servers run with (so the harness can mint access tokens as the Worker does). */
export const JWT_SECRET = 'bench-jwt-secret-bench-jwt-secret-0123456789'
const LIVEKIT = { key: 'devkey', secret: 'devsecret-devsecret-devsecret-devsecret' }
export const CONFIG = path.join(SUBJECT_ROOT, 'wrangler.toml')
/** Switchboard's Worker name (its isolate's inspector target in one workerd: `core:user:<name>`). */
export const WORKER_NAME = unstable_readConfig({ config: CONFIG }).name
/**
 * The pages Worker that Switchboard's ASSETS binding names (web/wrangler.toml, static assets
 * only), run beside it as deployed; none for a checkout from before the pages had a Worker of
 * their own (then wrangler.toml has them as its `[assets]`).
 */
const PAGES_CONFIG = path.join(SUBJECT_ROOT, 'web/wrangler.toml')
export const PAGES = existsSync(PAGES_CONFIG) ? [PAGES_CONFIG] : []

/**
 * Settings for bench runs. The login and message rate limits and the per-room connection cap are
 * raised so the limits, not the system, would otherwise be what is measured — results say so.
 */
export function benchVars(liveKitUrl) {
  return {
    ENVIRONMENT: 'development',
    LOG_LEVEL: 'error',
    JWT_SECRET,
    LIVEKIT_URL: liveKitUrl,
    LIVEKIT_API_KEY: LIVEKIT.key,
    LIVEKIT_API_SECRET: LIVEKIT.secret,
    RADIO_LOCATION_API_URL: `${liveKitUrl}/radio`,
    LOGIN_LIMIT_PER_IP: '1000000',
    LOGIN_LIMIT_PER_ACCOUNT: '1000000',
    MESSAGES_PER_10S: '1000000',
    MAX_CONNECTIONS_PER_ROOM: '20000',
  }
}

/** The raised limits, as printed in the results. */
export const RAISED = 'LOGIN_LIMIT_PER_IP/ACCOUNT=1e6, MESSAGES_PER_10S=1e6, MAX_CONNECTIONS_PER_ROOM=20000'

/** Migrates a fresh `--persist-to` directory and inserts the service API key. */
export async function prepareState(persist) {
  const common = ['--local', '--persist-to', persist, '-c', CONFIG]
  await wrangler(['d1', 'migrations', 'apply', 'DB', ...common], { cwd: SUBJECT_ROOT })
  const hash = createHash('sha256').update(SERVICE_KEY).digest('hex')
  await wrangler(
    [
      'd1',
      'execute',
      'DB',
      ...common,
      '--command',
      `INSERT OR IGNORE INTO service_clients (id,name,key_hash) VALUES ('bench','bench','${hash}')`,
    ],
    { cwd: SUBJECT_ROOT },
  )
}

/**
 * Starts Switchboard on `port` in `mode` ('wrangler' | 'miniflare'); `script` is the bundle for
 * miniflare. The V8 inspector listens on `inspectorPort` (wrangler dev: `port + 1` by default).
 */
export function startSwitchboard({ mode, port, persist, vars, script, logFile, inspectorPort }) {
  const common = {
    config: CONFIG,
    pages: PAGES,
    port,
    persist,
    vars,
    logFile,
    inspectorPort,
    readyPath: '/health',
  }
  return mode === 'miniflare' ? startMiniflare({ ...common, script }) : startWranglerDev(common)
}

/** Registers a member and returns its session (access + refresh tokens). */
export async function registerUser(base, n = 0, tag = 'u') {
  const res = await call(base, 'POST', '/api/v1/auth/register', {
    body: {
      email: `bench-${tag}-${n}-${Date.now()}@bench.local`,
      password: 'bench-password-1',
      name: `Bench ${n}`,
    },
  })
  return { ...res.data, password: 'bench-password-1' }
}

/** An access token for user `sub` with `role`, signed as the Worker signs them (src/worker/lib/jwt.ts). */
export function accessToken(sub, role, name = sub) {
  return new SignJWT({ role, name, typ: 'access' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuer('switchboard')
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(JWT_SECRET))
}

/** A service JWT from the seeded API key (seed 000 `GET /auth/create`). */
export async function serviceToken(base) {
  const res = await call(base, 'GET', '/auth/create', { headers: { 'x-api-key': SERVICE_KEY } })
  return res.data.token
}

/**
 * `POST /user/generate`: a LiveKit token for `room` — what the `/{room}` namespace accepts. Where
 * that route is not there (a checkout from before it landed), the harness mints the same kind of
 * token itself and says so in `minted`.
 */
export async function roomToken(base, service, room, userName = 'bench', userType = 'agent') {
  const res = await request(base, 'POST', '/user/generate', {
    headers: { authorization: `Bearer ${service}` },
    body: { room, userName, userType },
  })
  if (res.status === 404) {
    const token = await new SignJWT({
      name: userName,
      video: { room, roomJoin: true },
      metadata: JSON.stringify({ userType }),
    })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(LIVEKIT.key)
      .setSubject(`${userName}-${Date.now()}`)
      .setExpirationTime('2h')
      .sign(new TextEncoder().encode(LIVEKIT.secret))
    return { room, token, minted: true }
  }
  if (res.status !== 200) throw new Error(`POST /user/generate → ${res.status}: ${res.text.slice(0, 300)}`)
  return res.json.data
}
