import type { Actor } from './commands'
import type { StoredMessage } from './log'

/**
 * What a message room tells its sockets, whatever their protocol: each object hands every event
 * to its codec, which encodes it once (or not at all, where its protocol has no such frame) for
 * every recipient. Events are emitted in the room's one order, inside the write that caused them.
 */
export type RoomEvent =
  | { type: 'message'; message: StoredMessage }
  | { type: 'edited'; message: StoredMessage }
  | { type: 'deleted'; message: StoredMessage; by: Actor }
  | { type: 'read'; user: Actor; seq: number }
  /**
   * Not for the typist's own sockets. `implicit`: ended by the user's own message (protocols
   * whose clients infer that from the message send nothing).
   */
  | { type: 'typing'; user: Actor; typing: boolean; implicit?: boolean }
  /**
   * A connection of `user` arrived or left; `connections` is how many the user has in the room
   * now (1 on a first arrival, 0 once the last one left).
   */
  | { type: 'presence'; user: Actor; online: boolean; connections: number }

/** What a send answers: the stored message (the first copy for a repeated client_id). */
export interface SendResult {
  message: StoredMessage
  duplicate: boolean
}

/** The user an event is not for (their own typing indicator), if any. */
export function exceptUser(event: RoomEvent): string | undefined {
  return event.type === 'typing' ? event.user.id : undefined
}
