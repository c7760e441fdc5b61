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
  /** The room's own details changed (a group chat's name, description or avatar), by `by`. */
  | { type: 'room_updated'; by: Actor; room: RoomDetails }
  /** The room is deleted by `by`: the last event it emits; its object then closes its sockets. */
  | { type: 'room_deleted'; by: Actor }

/** What a room is called and shows, as its owner set it (kept by the room's object, not the log). */
export interface RoomDetails {
  name: string | null
  description: string | null
  avatar_url: string | null
  /** When the details last changed (ms since the epoch). */
  updated_at: number
}

/** What a send answers: the stored message (the first copy for a repeated client_id). */
export interface SendResult {
  message: StoredMessage
  duplicate: boolean
}

/** The user an event is not for (their own typing indicator), if any. */
export function exceptUser(event: RoomEvent): string | undefined {
  return event.type === 'typing' ? event.user.id : undefined
}
