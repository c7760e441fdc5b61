import { createRoute } from '@hono/zod-openapi'
import { db } from '../db/client'
import { ok } from '../lib/envelope'
import { router } from '../lib/router'
import { requireAuth, requireUser } from '../middleware/auth'
import { bearerSecurity, IdParam, jsonBody, modernResponses } from '../schemas/common'
import {
  AdminUser,
  Profile,
  PublicUser,
  SearchQuery,
  SetRoleBody,
  UpdateProfileBody,
  UpdateStatusBody,
  UserList,
  UserListQuery,
} from '../schemas/users'
import * as userAdmin from '../services/user-admin'
import * as users from '../services/users'
import { z } from '@hono/zod-openapi'
import { log } from '../lib/log'

/**
 * `/api/v1/users` — profiles, lookup, search, status (seed 001 module 2). My profile and status
 * need a user account; lookup and search also serve service tokens. For admins: the user list,
 * roles and disabling.
 */
export const userRoutes = router()

const common = { tags: ['Users'], security: bearerSecurity, middleware: [requireAuth()] }
const mine = { ...common, middleware: [requireUser()] }

userRoutes.openapi(
  createRoute({
    ...mine,
    method: 'get',
    path: '/profile',
    summary: 'My profile',
    responses: modernResponses(200, Profile, 'Profile', [401, 403]),
  }),
  async (c) => ok(c, users.profile(await users.getUser(db(c.env.DB), c.var.identity!.id))),
)

userRoutes.openapi(
  createRoute({
    ...mine,
    method: 'put',
    path: '/profile',
    summary: 'Update my name, avatar or bio',
    request: { body: jsonBody(UpdateProfileBody) },
    responses: modernResponses(200, Profile, 'Updated profile', [401, 403]),
  }),
  async (c) =>
    ok(c, users.profile(await users.updateProfile(db(c.env.DB), c.var.identity!.id, c.req.valid('json')))),
)

userRoutes.openapi(
  createRoute({
    ...mine,
    method: 'put',
    path: '/status',
    summary: 'Set my status (online, offline, away, dnd)',
    description:
      'Every chat you are a member of gets a `user_status` frame with the new status (after the answer, up to 500 chats).',
    request: { body: jsonBody(UpdateStatusBody) },
    responses: modernResponses(200, Profile, 'Updated profile', [401, 403]),
  }),
  async (c) => {
    const d = db(c.env.DB)
    const { status } = c.req.valid('json')
    const row = await users.setStatus(d, c.var.identity!.id, status)
    c.executionCtx.waitUntil(
      users
        .announceStatus(c.env, d, c.var.identity!, status)
        .catch((err) => log('error', { msg: 'status change not announced', error: String(err) })),
    )
    return ok(c, users.profile(row))
  },
)

userRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/search',
    summary: 'Find users by name or email',
    request: { query: SearchQuery },
    responses: modernResponses(200, z.object({ users: z.array(PublicUser) }), 'Matches', [401]),
  }),
  async (c) => {
    const { q, limit } = c.req.valid('query')
    const rows = await users.searchUsers(db(c.env.DB), q, limit)
    return ok(c, { users: rows.map(users.publicUser) })
  },
)

const adminOnly = requireUser({ roles: ['admin'] })
const ADMIN_NOTE = 'Admin only (403 for other roles). '

userRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/',
    summary: 'Every user, newest first, with role and disabled state (admin)',
    description: ADMIN_NOTE + 'Filters: role, disabled, q (part of the name or email); paginated.',
    middleware: [adminOnly] as const,
    request: { query: UserListQuery },
    responses: modernResponses(200, UserList, 'A page of users', [401, 403]),
  }),
  async (c) => ok(c, await userAdmin.listUsers(db(c.env.DB), c.req.valid('query'))),
)

userRoutes.openapi(
  createRoute({
    ...common,
    method: 'put',
    path: '/{id}/role',
    summary: 'Change a user’s role: admin, agent, mentor or member (admin)',
    description:
      ADMIN_NOTE +
      'Takes effect at the user’s next token refresh or login; access tokens already issued keep the old role until they expire (ACCESS_TOKEN_TTL). An admin cannot change their own role (409).',
    middleware: [adminOnly] as const,
    request: { params: IdParam, body: jsonBody(SetRoleBody) },
    responses: modernResponses(200, AdminUser, 'The user', [401, 403, 404, 409]),
  }),
  async (c) => {
    const row = await userAdmin.setRole(
      db(c.env.DB),
      c.var.identity!.id,
      c.req.valid('param').id,
      c.req.valid('json').role,
    )
    return ok(c, userAdmin.adminUser(row))
  },
)

for (const disabled of [true, false])
  userRoutes.openapi(
    createRoute({
      ...common,
      method: 'post',
      path: disabled ? '/{id}/disable' : '/{id}/enable',
      summary: disabled
        ? 'Disable a user: refresh tokens revoked, login refused (admin)'
        : 'Enable a disabled user again (admin)',
      description:
        ADMIN_NOTE +
        (disabled
          ? 'Idempotent. Every refresh token of the user is revoked in the same D1 batch; login, staff sign-in and refresh answer 403 “Account is disabled”. Access tokens already issued work until they expire (ACCESS_TOKEN_TTL). An admin cannot disable themselves (409).'
          : 'Clears the mark; sessions revoked while disabled stay revoked, so the user signs in again.'),
      middleware: [adminOnly] as const,
      request: { params: IdParam },
      responses: modernResponses(200, AdminUser, 'The user', [401, 403, 404, 409]),
    }),
    async (c) => {
      const row = await userAdmin.setDisabled(
        db(c.env.DB),
        c.var.identity!.id,
        c.req.valid('param').id,
        disabled,
      )
      return ok(c, userAdmin.adminUser(row))
    },
  )

userRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/{id}',
    summary: 'A user by id',
    request: { params: IdParam },
    responses: modernResponses(200, PublicUser, 'The user', [401, 404]),
  }),
  async (c) => ok(c, users.publicUser(await users.getUser(db(c.env.DB), c.req.valid('param').id))),
)
