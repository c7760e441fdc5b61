import type { AckAsk } from '../../objects/socketio/namespace'
import { liveSessionRoom, type LiveEventType } from '../../objects/live-session-room'
import { hostStub } from '../../objects/socketio/refs'
import type { Env } from '../env'

/**
 * Events from outside a socket (REST, webhooks, cron, other objects) reach a Socket.IO
 * namespace's sockets through the object that owns it — the replacement for seed 000's
 * cross-instance event manager (§4.4). Each call is one RPC; the object encodes the event once
 * and delivers it to its own sockets and, once per object, to sockets held elsewhere.
 * Each resolves to the number of sockets the owner delivered to itself (followers not counted).
 */

/** Emits `event` with `data` to every socket of the room's namespace `/{room}`. */
export function emitToRoom(env: Env, room: string, event: string, data: unknown): Promise<number> {
  return hostStub(env, { kind: 'room', name: room }).publish(`/${room}`, event, [data])
}

/**
 * Emits to the `/notification` sockets that follow `channel` (`user:<id>`: that user's;
 * `broadcast`: staff's, seed 000's dashboard feed). With `ack`, each socket is asked to
 * acknowledge the event (the namespace's `acked` hook runs per ACK).
 */
export function emitNotification(
  env: Env,
  channel: string,
  event: string,
  data: unknown,
  ack?: AckAsk,
): Promise<number> {
  return hostStub(env, { kind: 'notification', name: channel }).publish('/notification', event, [data], ack)
}

/** Emits to `/queue` or `/newqueue` (events `queue-update`, `newcase`). */
export function emitToQueue(
  env: Env,
  queue: 'queue' | 'newqueue',
  event: string,
  data: unknown,
): Promise<number> {
  return hostStub(env, { kind: 'queue', name: queue }).publish(`/${queue}`, event, [data])
}

/** Sends a live session's sockets an event (`session`, `role_changed`, `kicked`, `recording`, `session_ended`). */
export function publishToLiveSession(
  env: Env,
  sessionId: string,
  type: LiveEventType,
  data: Record<string, unknown>,
): Promise<number> {
  return liveSessionRoom(env, sessionId).publish(type, data)
}
