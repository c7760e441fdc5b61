import type { BaseAttachment } from '../channel'
import type { NsData } from './namespace'

/** A namespace this session joined: its Socket.IO socket id, the handler's data, and whether another object owns it. */
export interface Membership {
  sid: string
  d: NsData
  /** 1 when the namespace's owner is another object (events are forwarded to it). */
  r?: 1
  /** Keys (`refKey`) of the objects this socket follows besides the owner (`follows`); only their deliveries reach it. */
  f?: string[]
  /** Socket.IO rooms an admin made it join (admin UI `join`), besides its own (`sid`). */
  j?: string[]
}

/** Everything one Engine.IO session carries (a WebSocket attachment: ≤ 2 KiB). */
export interface SessionState extends BaseAttachment {
  /** Engine.IO session id. */
  eid: string
  /** Joined namespaces by name. */
  nsps: Record<string, Membership>
  /** Handshake query values handlers may read (`token`, `taskId`, …), short ones only. */
  q?: Record<string, string>
  /** A WebSocket opened to upgrade a polling session, before the client's `5` arrives. */
  probing?: 1
  /** A probe for a polling session another object holds (its refKey): the session moves here at `5`. */
  h?: string
  /** When the client last answered a ping (epoch ms; WebSocket sessions, kept across hibernation). */
  pong?: number
}
