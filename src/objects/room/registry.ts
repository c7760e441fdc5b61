import { AppError } from '../../worker/lib/errors'
import type { MessageRoom } from './core'

const rooms = new WeakMap<DurableObjectState, () => MessageRoom>()

/**
 * Makes an object's message room reachable from code that runs inside the object with only its
 * state in hand (Socket.IO namespace handlers get `ctx`, not the object). `get` may create the
 * room on first use.
 */
export function provideRoom(ctx: DurableObjectState, get: () => MessageRoom): void {
  rooms.set(ctx, get)
}

/** The message room of the object whose state is `ctx`. */
export function roomIn(ctx: DurableObjectState): MessageRoom {
  const get = rooms.get(ctx)
  if (!get) throw new AppError('internal_error', 'This object has no message room')
  return get()
}
