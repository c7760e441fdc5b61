import { exports } from 'cloudflare:workers'
import { env } from 'cloudflare:workers'
import { db } from '../src/worker/db/client'
import { users } from '../src/worker/db/schema'
import { eq } from 'drizzle-orm'
import { loadConfig } from '../src/worker/config'
import { accessToken } from '../src/worker/services/auth'
import { AccessToken } from 'livekit-server-sdk'

/** Calls the Worker in-process (the real app, bindings and objects). */
export function call(
  path: string,
  init: RequestInit & { json?: unknown; token?: string } = {},
): Promise<Response> {
  const headers = new Headers(init.headers)
  if (init.json !== undefined) headers.set('content-type', 'application/json')
  if (init.token) headers.set('authorization', `Bearer ${init.token}`)
  const body = init.json !== undefined ? JSON.stringify(init.json) : init.body
  return exports.default.fetch(new Request(`http://localhost${path}`, { ...init, headers, body }))
}

let counter = 0
/** A unique email per call, so test files never collide in the shared local D1. */
export const uniqueEmail = (tag = 'user') => `${tag}-${Date.now().toString(36)}-${++counter}@test.local`

export interface TestUser {
  id: string
  email: string
  password: string
  name: string
  access_token: string
  refresh_token: string
}

/** Registers a user (optionally promoting them to a role) and returns their tokens. Never calls /login. */
export async function registerUser(
  opts: { role?: 'admin' | 'agent' | 'mentor' | 'member'; name?: string } = {},
): Promise<TestUser> {
  const email = uniqueEmail(opts.role ?? 'member')
  const password = 'correct horse battery'
  const name = opts.name ?? `User ${counter}`
  const res = await call('/api/v1/auth/register', { method: 'POST', json: { email, password, name } })
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${await res.text()}`)
  const { data } = (await res.json()) as {
    data: { user: { id: string }; access_token: string; refresh_token: string }
  }
  let access = data.access_token
  if (opts.role && opts.role !== 'member') {
    // Promote in D1 and mint a token for the new role directly: going through /login would
    // charge the per-IP login limit that every test file shares.
    await db(env.DB).update(users).set({ role: opts.role }).where(eq(users.id, data.user.id))
    access = await accessToken(loadConfig(env), { id: data.user.id, role: opts.role, name, email })
  }
  return { id: data.user.id, email, password, name, access_token: access, refresh_token: data.refresh_token }
}

export async function json<T = any>(res: Response): Promise<T> {
  return (await res.json()) as T
}

/**
 * A valid Switchboard bearer for `role` without a user row or a login (no rate limit): enough for
 * routes that check only the token's role. `id` defaults to a fresh one.
 */
export async function mintToken(
  role: 'admin' | 'agent' | 'mentor' | 'member' | 'service',
  id = `t-${role}-${Date.now().toString(36)}-${++counter}`,
): Promise<string> {
  const { signToken } = await import('../src/worker/lib/jwt')
  return signToken(
    { sub: id, role, name: `Test ${role}`, typ: role === 'service' ? 'service' : 'access' },
    env.JWT_SECRET as string,
    600,
  )
}

/**
 * A LiveKit participant token for `room` (what a conference's Socket.IO CONNECT presents): a fresh
 * identity unless one is given, and the participant's display `name` when given.
 */
export async function liveKitToken(
  room: string,
  identity = `lk-${++counter}`,
  name?: string,
): Promise<string> {
  const at = new AccessToken(env.LIVEKIT_API_KEY as string, env.LIVEKIT_API_SECRET as string, {
    identity,
    ...(name !== undefined ? { name } : {}),
  })
  at.addGrant({ room, roomJoin: true })
  return at.toJwt()
}

/** A service client's JWT as seed 000's `GET /auth/create` gives it (creates a fresh API key). */
export async function serviceToken(name = 'test-service'): Promise<string> {
  const { createServiceClient } = await import('../src/worker/services/auth')
  const { key } = await createServiceClient(db(env.DB), name)
  const res = await call('/auth/create', { headers: { 'x-api-key': key } })
  if (res.status !== 200) throw new Error(`auth/create failed: ${res.status} ${await res.text()}`)
  return ((await res.json()) as { data: { token: string } }).data.token
}

/**
 * Runs a Cron Trigger exactly as the runtime does: the Worker's default export `scheduled` with a
 * ScheduledController for `cron`, then waits for everything it passed to `waitUntil`.
 */
export async function runCron(cron: string, scheduledTime = Date.now()): Promise<void> {
  const { createExecutionContext, createScheduledController, waitOnExecutionContext } =
    await import('cloudflare:test')
  const worker = (await import('../src/worker/index')).default
  const ctx = createExecutionContext()
  await worker.scheduled(createScheduledController({ scheduledTime, cron }), env, ctx)
  await waitOnExecutionContext(ctx)
}

export interface Participant {
  room: string
  identity: string
  token: string
  url: string
}

/**
 * `POST /user/generate` as staff: creates the room when absent, registers a participant and
 * answers their LiveKit token. Throws on anything but 200. Needs the LiveKit double installed.
 */
export async function generateParticipant(
  staff: string,
  room: string,
  body: Record<string, unknown> = {},
): Promise<Participant> {
  const res = await call('/user/generate', {
    method: 'POST',
    token: staff,
    json: { room, userName: 'Agent', userType: 'agent', ...body },
  })
  if (res.status !== 200) throw new Error(`user/generate failed: ${res.status} ${await res.text()}`)
  return ((await res.json()) as { data: Participant }).data
}
