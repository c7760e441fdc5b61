import { io, type Socket } from 'socket.io-client'
import { h, replace } from './dom'

/** A Socket.IO room chat message (`chat-message`). */
export interface RoomMessage {
  id: string
  seq: number
  message: unknown
  sender: { identity: string; name: string }
  created_at: string
}

/**
 * Joins a conference room's Socket.IO namespace `/{room}` with the real socket.io-client and its
 * default options (polling, then the upgrade to WebSocket; automatic reconnection with
 * Socket.IO's connection-state recovery, which Switchboard answers by replaying missed chat).
 * Messages are kept by seq, so a replay never shows twice.
 */
export function joinRoom(room: string, token: string) {
  const socket: Socket = io(`/${encodeURIComponent(room)}`, { auth: { token } })
  const messages = new Map<number, RoomMessage>()
  return {
    socket,
    messages,
    /** Stores a chat-message; false when its seq was already there. */
    keep(m: RoomMessage): boolean {
      if (messages.has(m.seq)) return false
      messages.set(m.seq, m)
      return true
    },
    sorted: () => [...messages.values()].sort((a, b) => a.seq - b.seq),
    /** Sends a chat message and resolves with the server's ack `{id, seq, duplicate}` (after the write). */
    say: (text: string) =>
      socket
        .timeout(10_000)
        .emitWithAck('chat-message', { message: text, client_id: crypto.randomUUID() }) as Promise<{
        id: string
        seq: number
        duplicate: boolean
        error?: { message: string }
      }>,
  }
}

/** The text of a chat-message payload (a string, or {message|text|content}). */
export function messageText(m: unknown): string {
  if (typeof m === 'string') return m
  if (m && typeof m === 'object') {
    const o = m as Record<string, unknown>
    const t = o.message ?? o.text ?? o.content
    if (typeof t === 'string') return t
  }
  return JSON.stringify(m)
}

/**
 * Draws `messages` into `log`, one row each: who sent it (`who`), its text, and `meta` (the time,
 * say) — the caller's page and the console's room view show a room's chat alike.
 */
export function drawMessages(
  log: HTMLElement,
  messages: RoomMessage[],
  who: (m: RoomMessage) => string,
  meta: (m: RoomMessage) => string,
): void {
  replace(
    log,
    messages.map((m) =>
      h(
        'div',
        { class: 'msg', 'data-seq': m.seq },
        h('span', { class: 'who' }, who(m)),
        h('span', { class: 'text' }, messageText(m.message)),
        h('span', { class: 'meta' }, meta(m)),
      ),
    ),
  )
}
