import type { Config } from '../../worker/config'
import type { Env } from '../../worker/env'
import type { ObjectRef } from './refs'

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

/**
 * A server-initiated acknowledgement request: the event goes out with an ack id, and what the
 * client's ACK means is kept (durably, in the object holding the socket) until it arrives or
 * `SOCKETIO_ACK_TIMEOUT` passes. Then the namespace's `acked` hook runs with it.
 */
export interface AckAsk {
  /** The handler's name for what the ack confirms, e.g. `delivered`. */
  purpose: string
  /** Small JSON handed back to `acked` (e.g. the notification id). */
  ctx?: Record<string, unknown>
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
  /**
   * Emits to the socket being handled and asks it for an acknowledgement (`acked` runs when it
   * comes). Only where the socket is held by the object running the handler (namespaces
   * without an owner object, or sockets in their owner); elsewhere it throws.
   */
  emitWithAck(event: string, args: unknown[], ask: AckAsk): void
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
  /**
   * A client acknowledged an event sent with an ack request (`emitWithAck`, or `publish` with
   * `ack`); `args` are its ack arguments (binary ones as ArrayBuffers). Runs in the object
   * holding the socket: use D1 or other objects, not `c.ctx.storage`. Unacknowledged requests
   * expire after SOCKETIO_ACK_TIMEOUT without a call; a late ACK gets an `error` event.
   */
  acked?(c: NsContext, sock: NsSocket, ask: AckAsk, args: unknown[]): Promise<void> | void
  /**
   * Objects besides the namespace's owner whose `publish`es for this namespace reach the socket
   * (e.g. the notification channels it follows); the holding object subscribes to each after
   * CONNECT and unsubscribes when the socket leaves. Each socket gets only its own sources' events.
   */
  follows?(data: NsData): ObjectRef[]
}
