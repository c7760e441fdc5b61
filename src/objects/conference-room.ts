import { chatBefore, lastChatSeq, type ChatMessage } from './socketio/chat-log'
import { SocketIoHost } from './socketio/host'

/**
 * The Durable Object for one conference room: it owns the Socket.IO namespace `/{room}` and the
 * room's ordered chat log, and holds the Socket.IO sessions routed to it (see socketio/host.ts).
 * Objects named `~…` are home objects for sessions that arrived without a room hint.
 */
export class ConferenceRoom extends SocketIoHost {
  /** A page of the chat log: messages before `before` (or the newest), oldest first. */
  async chatHistory(before: number | undefined, limit: number): Promise<ChatMessage[]> {
    return chatBefore(this.ctx.storage.sql, before, limit).reverse()
  }

  /** The newest seq, how many messages came after `since`, and the newest message. */
  async chatSummary(
    since: number,
  ): Promise<{ last_seq: number; unread: number; last_message: ChatMessage | null }> {
    const last = lastChatSeq(this.ctx.storage.sql)
    const newest = chatBefore(this.ctx.storage.sql, undefined, 1)[0] ?? null
    return { last_seq: last, unread: Math.max(0, last - since), last_message: newest }
  }
}
