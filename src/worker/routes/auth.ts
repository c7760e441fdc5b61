import { createRoute } from '@hono/zod-openapi'
import { db } from '../db/client'
import { ok } from '../lib/envelope'
import { clientIp } from '../lib/client-ip'
import { requireUser } from '../middleware/auth'
import { router } from '../lib/router'
import { LoginBody, LogoutBody, Me, RefreshBody, RegisterBody, Session } from '../schemas/auth'
import { bearerSecurity, jsonBody, modernResponses } from '../schemas/common'
import { z } from '@hono/zod-openapi'
import * as auth from '../services/auth'
import { getUser } from '../services/users'

/** `/api/v1/auth` — SPEC §3's golden path. */
export const authRoutes = router()

authRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/register',
    tags: ['Auth'],
    summary: 'Create a member account and sign in',
    request: { body: jsonBody(RegisterBody) },
    responses: modernResponses(201, Session, 'Account created', [409]),
  }),
  async (c) => ok(c, await auth.register(db(c.env.DB), c.var.config, c.req.valid('json')), 201),
)

authRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/login',
    tags: ['Auth'],
    summary: 'Sign in with email and password',
    description:
      'Rate limited per IP (LOGIN_LIMIT_PER_IP) and per account (LOGIN_LIMIT_PER_ACCOUNT) per LOGIN_LIMIT_WINDOW seconds.',
    request: { body: jsonBody(LoginBody) },
    responses: modernResponses(200, Session, 'Signed in', [401, 429]),
  }),
  async (c) => {
    const { email, password } = c.req.valid('json')
    return ok(c, await auth.login(c.env, db(c.env.DB), c.var.config, email, password, clientIp(c)))
  },
)

authRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/refresh',
    tags: ['Auth'],
    summary: 'Exchange a refresh token for a new pair (rotation; reuse revokes the login)',
    request: { body: jsonBody(RefreshBody) },
    responses: modernResponses(200, Session, 'New token pair', [401]),
  }),
  async (c) => ok(c, await auth.refresh(db(c.env.DB), c.var.config, c.req.valid('json').refresh_token)),
)

authRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/logout',
    tags: ['Auth'],
    summary: 'Revoke this login (with refresh_token) or every login of the user (without)',
    security: bearerSecurity,
    middleware: [requireUser()] as const,
    request: { body: { ...jsonBody(LogoutBody), required: false } },
    responses: modernResponses(200, z.object({}), 'Signed out', [401, 403]),
  }),
  async (c) => {
    await auth.logout(db(c.env.DB), c.var.identity!.id, c.req.valid('json')?.refresh_token)
    return ok(c, {})
  },
)

authRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/me',
    tags: ['Auth'],
    summary: 'The signed-in user',
    security: bearerSecurity,
    middleware: [requireUser()] as const,
    responses: modernResponses(200, Me, 'The user', [401, 403]),
  }),
  async (c) => {
    const u = await getUser(db(c.env.DB), c.var.identity!.id)
    return ok(c, { id: u.id, email: u.email, name: u.name, role: u.role, status: u.status })
  },
)
