import { createRoute, z } from '@hono/zod-openapi'
import { db } from '../db/client'
import { ok } from '../lib/envelope'
import { router } from '../lib/router'
import { requireUser } from '../middleware/auth'
import {
  AddMembersBody,
  ChangeRoleBody,
  Chat,
  ChatIdParam,
  ChatListItem,
  CreateChatBody,
  JoinChatBody,
  Member,
  MemberParams,
  UpdateChatBody,
} from '../schemas/chats'
import { bearerSecurity, jsonBody, modernResponses } from '../schemas/common'
import * as chats from '../services/chats'
import { chargeJoinCodeGuess } from '../services/rate-limit'
import { clientIp } from '../lib/client-ip'
import { messageRoutes } from './messages'

/**
 * `/api/v1/chats` — chats, join codes and members (SPEC §4.1). Who may do what: any member reads
 * and writes messages; the owner and admins add and remove plain members and delete others'
 * messages; only the owner removes admins, changes roles or transfers ownership (`role: owner`),
 * and must transfer before leaving a chat that still has other members.
 */
export const chatRoutes = router()
chatRoutes.use('*', requireUser())

const common = { tags: ['Chats'], security: bearerSecurity }
const Members = z.object({ members: z.array(Member) })

chatRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/',
    summary: 'My chats, most recently active first, with last message and unread count',
    responses: modernResponses(200, z.object({ chats: z.array(ChatListItem) }), 'My chats', [401, 403]),
  }),
  async (c) => ok(c, { chats: await chats.listMyChats(db(c.env.DB), c.var.identity!.id) }),
)

chatRoutes.openapi(
  createRoute({
    ...common,
    method: 'post',
    path: '/',
    summary: 'Create a group chat, or open the direct chat with a user',
    description: 'A pair of users has one direct chat: opening it again answers 200 with the existing chat.',
    request: { body: jsonBody(CreateChatBody) },
    responses: {
      ...modernResponses(201, Chat, 'The new chat', [401, 404]),
      ...modernResponses(200, Chat, 'The existing direct chat'),
    },
  }),
  async (c) => {
    const body = c.req.valid('json')
    const me = c.var.identity!.id
    if (body.type === 'group') return ok(c, await chats.createGroup(db(c.env.DB), me, body), 201)
    const { chat, created } = await chats.openDirect(db(c.env.DB), me, body.user_id)
    return ok(c, chat, created ? 201 : 200)
  },
)

chatRoutes.openapi(
  createRoute({
    ...common,
    method: 'post',
    path: '/join',
    summary: 'Join a group chat by its 6-character code',
    description:
      'Rate limited per IP (JOIN_CODE_LIMIT_PER_IP) and per account (JOIN_CODE_LIMIT_PER_ACCOUNT) per JOIN_CODE_LIMIT_WINDOW seconds: every attempt counts; 429 with Retry-After.',
    request: { body: jsonBody(JoinChatBody) },
    responses: modernResponses(200, Chat, 'The chat', [401, 403, 404, 429]),
  }),
  async (c) => {
    const me = c.var.identity!.id
    await chargeJoinCodeGuess(c.env, c.var.config, clientIp(c), me)
    return ok(c, await chats.joinByCode(db(c.env.DB), me, c.req.valid('json').code))
  },
)

chatRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/{id}',
    summary: 'A chat I belong to',
    request: { params: ChatIdParam },
    responses: modernResponses(200, Chat, 'The chat', [401, 403, 404]),
  }),
  async (c) => ok(c, await chats.getChat(db(c.env.DB), c.req.valid('param').id, c.var.identity!.id)),
)

chatRoutes.openapi(
  createRoute({
    ...common,
    method: 'put',
    path: '/{id}',
    summary: "Change a group's name, description or avatar (owner or admin)",
    description:
      'Seed 001 `PUT /api/groups/{id}`. Omitted fields keep their value; `null` clears `description` or `avatar_url`. Everyone in the chat gets a `chat_updated` frame on the JSON socket. Direct chats answer 400.',
    request: { params: ChatIdParam, body: jsonBody(UpdateChatBody) },
    responses: modernResponses(200, Chat, 'The changed chat', [401, 403, 404]),
  }),
  async (c) =>
    ok(
      c,
      await chats.updateChat(
        c.env,
        db(c.env.DB),
        c.req.valid('param').id,
        c.var.identity!,
        c.req.valid('json'),
      ),
    ),
)

chatRoutes.openapi(
  createRoute({
    ...common,
    method: 'delete',
    path: '/{id}',
    summary: 'Delete a group (owner only)',
    description:
      'Seed 001 `DELETE /api/groups/{id}`. Everyone in the chat gets `chat_deleted`; sockets opened with this chat are then closed (1000, `chat deleted`) and sockets following it from another chat stop following it. History, read state and the D1 index go with it; files uploaded to the chat stay until deleted themselves (their owner and staff can still read them). Direct chats answer 400 (leave them instead).',
    request: { params: ChatIdParam },
    responses: modernResponses(200, z.object({}), 'Deleted', [401, 403, 404]),
  }),
  async (c) => {
    await chats.deleteChat(c.env, db(c.env.DB), c.req.valid('param').id, c.var.identity!)
    return ok(c, {})
  },
)

chatRoutes.openapi(
  createRoute({
    ...common,
    method: 'post',
    path: '/{id}/leave',
    summary: 'Leave a chat (an owner transfers ownership first)',
    request: { params: ChatIdParam },
    responses: modernResponses(200, z.object({}), 'Left', [401, 403, 404, 409]),
  }),
  async (c) => {
    await chats.leaveChat(c.env, db(c.env.DB), c.req.valid('param').id, c.var.identity!.id)
    return ok(c, {})
  },
)

chatRoutes.openapi(
  createRoute({
    ...common,
    method: 'get',
    path: '/{id}/members',
    summary: 'Members and their roles',
    request: { params: ChatIdParam },
    responses: modernResponses(200, Members, 'Members', [401, 403, 404]),
  }),
  async (c) => {
    const { id } = c.req.valid('param')
    await chats.requireMember(db(c.env.DB), id, c.var.identity!.id)
    return ok(c, { members: await chats.listMembers(db(c.env.DB), id) })
  },
)

chatRoutes.openapi(
  createRoute({
    ...common,
    method: 'post',
    path: '/{id}/members',
    summary: 'Add members (owner or admin)',
    request: { params: ChatIdParam, body: jsonBody(AddMembersBody) },
    responses: modernResponses(200, Members, 'Members', [401, 403, 404]),
  }),
  async (c) => {
    const members = await chats.addMembers(
      db(c.env.DB),
      c.req.valid('param').id,
      c.var.identity!.id,
      c.req.valid('json').user_ids,
    )
    return ok(c, { members })
  },
)

chatRoutes.openapi(
  createRoute({
    ...common,
    method: 'delete',
    path: '/{id}/members/{userId}',
    summary: 'Remove a member (owner: anyone but themselves; admin: plain members; anyone: themselves)',
    request: { params: MemberParams },
    responses: modernResponses(200, z.object({}), 'Removed', [401, 403, 404, 409]),
  }),
  async (c) => {
    const { id, userId } = c.req.valid('param')
    await chats.removeMember(c.env, db(c.env.DB), id, c.var.identity!.id, userId)
    return ok(c, {})
  },
)

chatRoutes.openapi(
  createRoute({
    ...common,
    method: 'patch',
    path: '/{id}/members/{userId}',
    summary: "Change a member's role (owner only; `owner` transfers ownership)",
    request: { params: MemberParams, body: jsonBody(ChangeRoleBody) },
    responses: modernResponses(200, Members, 'Members', [401, 403, 404]),
  }),
  async (c) => {
    const { id, userId } = c.req.valid('param')
    const members = await chats.changeRole(
      db(c.env.DB),
      id,
      c.var.identity!.id,
      userId,
      c.req.valid('json').role,
    )
    return ok(c, { members })
  },
)

chatRoutes.route('/', messageRoutes)
