import { z } from '@hono/zod-openapi'
import { CaseView } from './cases'
import { RoomChatMessage } from './conference-chat'
import { Notification } from './notifications'

/**
 * The Socket.IO namespaces and their events (seed 000 §4, README "Socket.IO"), as data: what a
 * client may emit, what the server emits, and each payload as a zod schema. `/asyncapi.json`
 * is generated from this list (routes/asyncapi.ts); the namespaces themselves live in
 * src/objects/socketio/*-namespace.ts.
 */

/** One event: its name, who sends it, its first argument and (for client events) its ack. */
export interface SocketIoEvent {
  name: string
  /** `client`: the client emits it; `server`: the server emits it; `both`: relayed to the rest of the room. */
  from: 'client' | 'server' | 'both'
  summary: string
  payload: z.ZodType
  ack?: z.ZodType
}

/** A namespace: its path (`{room}` is a parameter), how to connect, and its events. */
export interface SocketIoNamespace {
  id: string
  path: string
  title: string
  connect: string
  events: SocketIoEvent[]
}

const Member = z.object({
  identity: z.string(),
  name: z.string(),
  userType: z.string().optional(),
  socketId: z.string(),
  room: z.string(),
})

const Position = z
  .object({ lat: z.number(), lng: z.number() })
  .catchall(z.unknown())
  .describe('Any further fields (accuracy, heading, …) are relayed as sent')

/** A room's state as `room-record` and `conference-status` carry it; other fields are relayed as sent. */
const RoomStatus = z
  .object({ room: z.string().optional(), status: z.string().optional() })
  .catchall(z.unknown())

const ErrorEvent = z.object({ code: z.string(), message: z.string() })
const AckError = z.object({ error: ErrorEvent })
const Ok = z.object({ ok: z.literal(true) })
const Queue = z.object({ cases: z.array(CaseView), count: z.number().int() })

const error: SocketIoEvent = {
  name: 'error',
  from: 'server',
  summary: 'Bad input on a connected socket; the connection stays up (an ack, if asked for, is {error})',
  payload: ErrorEvent,
}

/** Every namespace Switchboard serves under `/socket.io/`. */
export const SOCKET_IO_NAMESPACES: SocketIoNamespace[] = [
  {
    id: 'sioRoom',
    path: '/{room}',
    title: 'Conference room',
    connect:
      'auth.token: the LiveKit token of POST /user/generate (its video.room must be {room}, roomJoin). Optional auth.last_seq (or Socket.IO recovery) resumes the chat.',
    events: [
      {
        name: 'chat-message',
        from: 'client',
        summary:
          'Send a chat message: a string, or {message|text|content, client_id?}, or an image or file message {type: "image"|"file", file_ids, message?} naming files uploaded with this room as `room`; acked after the write',
        payload: z.union([
          z.string(),
          z
            .object({
              message: z.string().optional(),
              client_id: z.string().min(1).max(128).optional(),
              type: z.enum(['text', 'image', 'file']).optional(),
              file_ids: z.array(z.string().min(1).max(64)).min(1).max(10).optional(),
            })
            .catchall(z.unknown()),
        ]),
        ack: z.union([z.object({ id: z.string(), seq: z.number().int(), duplicate: z.boolean() }), AckError]),
      },
      {
        name: 'chat-message',
        from: 'server',
        summary:
          'A stored chat message, to every member (the sender included) in seq order; replayed on resume',
        payload: RoomChatMessage,
      },
      {
        name: 'position',
        from: 'client',
        summary: 'Your position; relayed to the others with identity and name',
        payload: Position,
      },
      {
        name: 'position',
        from: 'server',
        summary: 'Someone’s position (a member, or a link holder: identity "link:<id>", source "link")',
        payload: Position.extend({ identity: z.string(), name: z.string().optional() }),
      },
      {
        name: 'user-connection',
        from: 'server',
        summary: 'A member joined (also from LiveKit webhooks)',
        payload: Member.partial().catchall(z.unknown()),
      },
      {
        name: 'user-disconnect',
        from: 'server',
        summary: 'A member left',
        payload: Member.partial().catchall(z.unknown()),
      },
      {
        name: 'room-record',
        from: 'both',
        summary:
          'Recording state: queued, starting, recording, ending, ended, failed (from REST and webhooks; client ones are relayed)',
        payload: RoomStatus,
      },
      {
        name: 'conference-status',
        from: 'both',
        summary: 'The room opened, started or closed (from REST; client ones are relayed)',
        payload: RoomStatus,
      },
      {
        name: 'agentCar',
        from: 'both',
        summary: 'A car’s position or status (from /mobile and PUT /car/task; client ones are relayed)',
        payload: z
          .object({ taskId: z.string().optional(), carNo: z.string().optional() })
          .catchall(z.unknown()),
      },
      error,
    ],
  },
  {
    id: 'sioMobile',
    path: '/mobile',
    title: 'Car app',
    connect: 'auth.taskId: a car_tasks id that is not closed',
    events: [
      {
        name: 'location',
        from: 'client',
        summary: 'The car’s position; reaches the task’s room as agentCar',
        payload: z.object({
          lat: z.number(),
          lng: z.number(),
          speed: z.number().optional(),
          heading: z.number().optional(),
        }),
        ack: Ok,
      },
      {
        name: 'status',
        from: 'client',
        summary: 'The task’s status; the room gets agentCar {taskId, carNo, status}',
        payload: z.union([z.string(), z.object({ status: z.string() })]),
        ack: Ok.extend({ status: z.string() }),
      },
      { name: 'message', from: 'client', summary: 'A message; echoed back', payload: z.unknown(), ack: Ok },
      {
        name: 'message',
        from: 'server',
        summary: 'The echo of a message',
        payload: z.object({ taskId: z.string(), received: z.literal(true), message: z.unknown() }),
      },
      error,
    ],
  },
  {
    id: 'sioNotification',
    path: '/notification',
    title: 'Notifications',
    connect:
      'auth.token: a Switchboard access or service JWT (staff follow broadcast and user:<id>, others user:<id>); none only with NOTIFICATION_PUBLIC=true',
    events: [
      {
        name: 'new',
        from: 'server',
        summary:
          'A new notification, asking for an ack: the first ack marks it delivered; unacked ones come again on connect',
        payload: Notification,
      },
      { name: 'update', from: 'server', summary: 'A notification was read', payload: Notification },
      {
        name: 'all',
        from: 'client',
        summary: 'Ask for the followed channels’ notifications (≤ 100, newest first)',
        payload: z.unknown(),
        ack: z.array(Notification),
      },
      { name: 'all', from: 'server', summary: 'The answer to all', payload: z.array(Notification) },
      {
        name: 'unread',
        from: 'client',
        summary: 'Ask for the unread ones',
        payload: z.unknown(),
        ack: z.array(Notification),
      },
      { name: 'unread', from: 'server', summary: 'The answer to unread', payload: z.array(Notification) },
      {
        name: 'read',
        from: 'client',
        summary: 'Mark one read: {id} or the id',
        payload: z.union([z.string(), z.object({ id: z.string() })]),
        ack: z.union([Notification, AckError]),
      },
      error,
    ],
  },
  {
    id: 'sioQueue',
    path: '/queue',
    title: 'Case queue',
    connect: 'auth.token: a Switchboard staff or service JWT',
    events: [
      {
        name: 'queue-update',
        from: 'client',
        summary: 'Ask for the waiting cases',
        payload: z.unknown(),
        ack: Queue,
      },
      {
        name: 'queue-update',
        from: 'server',
        summary: 'The waiting cases (on every case change)',
        payload: Queue,
      },
      error,
    ],
  },
  {
    id: 'sioNewQueue',
    path: '/newqueue',
    title: 'New cases',
    connect: 'auth.token: a Switchboard staff or service JWT',
    events: [
      {
        name: 'queue-update',
        from: 'client',
        summary: 'Ask for the waiting cases',
        payload: z.unknown(),
        ack: Queue,
      },
      { name: 'newcase', from: 'server', summary: 'A case was opened', payload: CaseView },
      error,
    ],
  },
]
