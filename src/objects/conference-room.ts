import { db } from '../worker/db/client'
import type { Env } from '../worker/env'
import { messageAttachments } from '../worker/services/files'
import { serviceOfRoom } from '../worker/services/rooms'
import { roomOptions } from './limits'
import { MessageRoom } from './room/core'
import { provideRoom } from './room/registry'
import { roomWebhooks } from './room/webhooks'
import {
  adminDisconnect,
  adminEmit,
  adminRooms,
  adminSockets,
  type AdminSocket,
} from './socketio/admin-namespace'
import { SocketIoHost } from './socketio/host'
import { roomMembers } from './socketio/room-members'
import * as sio from './socketio/room-chat'
import { markRoomClosed } from './socketio/room-status'

/**
 * The Durable Object for one conference room: it owns the Socket.IO namespace `/{room}` and the
 * room's ordered chat (the message-room core, in the `chat-message` codec), and holds the
 * Socket.IO sessions routed to it (see socketio/host.ts). Objects named `~…` are home objects
 * for sessions that arrived without a room hint; they never create a message room.
 */
export class ConferenceRoom extends SocketIoHost {
  protected readonly kind = 'room'
  #room: MessageRoom | undefined

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    provideRoom(ctx, () => this.room)
  }

  /** The room's message core, created on first use. */
  protected get room(): MessageRoom {
    return (this.#room ??= new MessageRoom(
      this.ctx.storage,
      {
        emit: (e) => {
          const json = sio.encodeEvent(this.name, e)
          if (json) this.broadcastJson(`/${this.name}`, json)
        },
        scheduleAlarm: (at) => this.scheduleAlarm(at),
        // Sockets announce themselves with Socket.IO's user-connection / user-disconnect; the core
        // counts each user's sockets (held here or in home objects) for presence webhooks.
        localConnections: (userId) => roomMembers(this.ctx).count(userId),
        // The sender holds this room's LiveKit token (checked at CONNECT); files name the room.
        attachments: (_actor, ids) => messageAttachments(db(this.env.DB), ids, { room: this.name }),
        observers: [
          roomWebhooks(this.ctx, this.env, {
            kind: 'conference',
            id: () => this.name,
            scheduleAlarm: (at) => this.scheduleAlarm(at),
            service: () => serviceOfRoom(db(this.env.DB), this.name),
          }),
          { committed: (messages) => this.countMessages(messages.length) },
        ],
      },
      roomOptions(this.env, { index: false }),
    ))
  }

  protected metricsOf() {
    // A home object reports only once it has lived an interval (most move to their room at once).
    return { kind: 'conference', protocol: 'socketio', reportLater: this.ephemeral() } as const
  }

  /** A home object (`~…`) holds sessions but no room. */
  protected openRooms(): number {
    return this.ephemeral() ? 0 : super.openRooms()
  }

  /** A home object (`~…`) erases its storage whenever its sessions are gone (the next store anew). */
  protected ephemeral(): boolean {
    return this.name.startsWith('~')
  }

  protected async onAlarm(): Promise<void> {
    await super.onAlarm()
    this.#room?.onAlarm(Date.now())
  }

  /** Events from REST, webhooks and cron; closing the room (see closeRoom) also bars later CONNECTs. */
  async publish(nsp: string, event: string, args: unknown[]): Promise<number> {
    const data = args[0] as { status?: unknown } | undefined
    if (event === 'conference-status' && data?.status === 'closed') markRoomClosed(this.ctx)
    return super.publish(nsp, event, args)
  }

  // ── Admin UI (socketio/admin-namespace.ts): every Socket.IO session is held by one of these ──

  /** The sockets this object holds, as the admin UI lists them. */
  async adminSockets(): Promise<AdminSocket[]> {
    return adminSockets(this.adminSessions())
  }

  /** Emits to this object's sockets of `nsp` (in `room`, when given); answers how many got it. */
  async adminEmit(nsp: string, room: string | undefined, event: string, args: unknown[]): Promise<number> {
    return adminEmit(this.adminSessions(), nsp, room, event, args)
  }

  /** Disconnects this object's sockets of `nsp` (in `room`, when given), closing their connection with `close`. */
  async adminDisconnect(nsp: string, room: string | undefined, close: boolean): Promise<number> {
    return adminDisconnect(this.adminSessions(), nsp, room, close)
  }

  /** Makes this object's sockets of `nsp` (in room `filter`, when given) join or leave `room`. */
  async adminRooms(nsp: string, filter: string | undefined, room: string, join: boolean): Promise<number> {
    return adminRooms(this.adminSessions(), nsp, filter, room, join)
  }

  /** A page of the chat log: messages before `before` (or the newest), oldest first. */
  async chatHistory(before: number | undefined, limit: number, room = ''): Promise<sio.ChatMessage[]> {
    return this.room.log
      .page(before, limit)
      .map((m) => sio.chatMessage(room, m))
      .reverse()
  }

  /** The newest seq, how many messages came after `since`, and the newest message. */
  async chatSummary(
    since: number,
    room = '',
  ): Promise<{ last_seq: number; unread: number; last_message: sio.ChatMessage | null }> {
    const log = this.room.log
    const newest = log.page(undefined, 1)[0]
    return {
      last_seq: log.lastSeq,
      unread: Math.max(0, log.lastSeq - since),
      last_message: newest ? sio.chatMessage(room, newest) : null,
    }
  }
}
