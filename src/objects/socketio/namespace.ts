import type { Config } from '../../worker/config'
import type { Env } from '../../worker/env'

/**
 * What a namespace handler keeps per socket (in the socket's attachment: keep it to a few hundred
 * bytes). A string `pid` is also sent in the CONNECT reply (Socket.IO connection-state recovery).
 */
export type NsData = Record<string, unknown>

/** One Socket.IO socket as a namespace handler sees it. */
export interface NsSocket {
  /** Socket.IO socket id (the `sid` of the CONNECT reply). */
  sid: string
  /** Engine.IO session id (one per connection; several namespaces share it). */
  eid: string
  data: NsData
}

/** What a handler can do while it runs inside the namespace's owner object. */
export interface NsContext {
  readonly env: Env
  readonly config: Config
  readonly nsp: string
  readonly ctx: DurableObjectState
  /** Emits to every socket of the namespace, here and in following objects; encoded once. */
  broadcast(event: string, args: unknown[], opts?: { except?: string }): void
  /** Emits to the socket whose packet is being handled (after its CONNECT reply, if any). */
  emit(event: string, ...args: unknown[]): void
  /** `broadcast` of an event whose `[event, ...args]` array the caller already JSON-encoded (no binary). */
  broadcastJson(json: string, opts?: { except?: string }): void
  /** `emit` of an event whose `[event, ...args]` array the caller already JSON-encoded (no binary). */
  emitJson(json: string): void
}

/**
 * The behaviour of one namespace (seed 000 §4.2). Runs in the object that owns the namespace,
 * whichever object holds the socket. Throw an AppError to refuse (CONNECT_ERROR with its message)
 * or to answer an event with an `error` event (and an ack `{error}` when one was asked for).
 */
export interface NamespaceHandler {
  connect(
    c: NsContext,
    sock: { sid: string; eid: string },
    auth: Record<string, unknown>,
    query: Record<string, string>,
  ): Promise<NsData> | NsData
  /** After the CONNECT reply: announcements, resume. */
  connected?(c: NsContext, sock: NsSocket): Promise<void> | void
  /** An event; the returned array is the ack's arguments (none when undefined). */
  event(
    c: NsContext,
    sock: NsSocket,
    name: string,
    args: unknown[],
  ): Promise<unknown[] | void> | unknown[] | void
  disconnect?(c: NsContext, sock: NsSocket): Promise<void> | void
}
