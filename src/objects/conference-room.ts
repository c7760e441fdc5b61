import { SocketIoHost } from './socketio/host'
import { chatBefore, roomLog, type ChatMessage } from './socketio/room-chat'
import { markRoomClosed } from './socketio/room-status'

/**
 * The Durable Object for one conference room: it owns the Socket.IO namespace `/{room}` and the
 * room's ordered chat log, and holds the Socket.IO sessions routed to it (see socketio/host.ts).
 * Objects named `~…` are home objects for sessions that arrived without a room hint.
 */
export class ConferenceRoom extends SocketIoHost {
  protected readonly kind = 'room'

  /** Events from REST, webhooks and cron; closing the room (see closeRoom) also bars later CONNECTs. */
  async publish(nsp: string, event: string, args: unknown[]): Promise<number> {
    const data = args[0] as { status?: unknown } | undefined
    if (event === 'conference-status' && data?.status === 'closed') markRoomClosed(this.ctx)
    return super.publish(nsp, event, args)
  }

  /** A page of the chat log: messages before `before` (or the newest), oldest first. */
  async chatHistory(before: number | undefined, limit: number, room = ''): Promise<ChatMessage[]> {
    return chatBefore(roomLog(this.ctx), room, before, limit).reverse()
  }

  /** The newest seq, how many messages came after `since`, and the newest message. */
  async chatSummary(
    since: number,
    room = '',
  ): Promise<{ last_seq: number; unread: number; last_message: ChatMessage | null }> {
    const log = roomLog(this.ctx)
    const newest = chatBefore(log, room, undefined, 1)[0] ?? null
    return { last_seq: log.lastSeq, unread: Math.max(0, log.lastSeq - since), last_message: newest }
  }
}
