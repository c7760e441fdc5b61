import type { EngineFrame } from './codec'
import type { NsData } from './namespace'
import type { ObjectRef } from './refs'

/** `sioConnect` request: a socket held by `from` asks to join a namespace `to` owns. */
export interface RemoteConnect {
  to: ObjectRef
  from: ObjectRef
  eid: string
  nsp: string
  auth: Record<string, unknown>
  query: Record<string, string>
  /** Bytes left in the holding session's state: a membership that would not fit is refused, with no trace. */
  room?: number
}

export type RemoteConnectResult =
  | { ok: true; sid: string; data: NsData; frames: EngineFrame[] }
  | { ok: false; message: string; data?: Record<string, unknown> }

/** `sioEvent` request: an event for a namespace `to` owns, from a socket `from` holds. */
export interface RemoteEvent {
  to: ObjectRef
  from: ObjectRef
  eid: string
  nsp: string
  sid: string
  data: NsData
  name: string
  args: unknown[]
  ackId?: number
}

export interface RemoteEventResult {
  frames: EngineFrame[]
  data?: NsData
}

/** `sioFollow` / `sioUnfollow` request: a socket `from` holds starts or stops following `to`'s publishes on `nsp`. */
export interface RemoteFollow {
  to: ObjectRef
  from: ObjectRef
  eid: string
  nsp: string
}

/** `sioLeave` request: the socket left the namespace (DISCONNECT or closed connection). */
export interface RemoteLeave extends RemoteFollow {
  sid: string
  data: NsData
}
