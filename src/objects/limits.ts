import { loadConfig } from '../worker/config'
import type { ChannelLimits } from './channel'
import type { RoomOptions } from './room/core'

const cache = new WeakMap<object, ChannelLimits>()

/** The per-room limits every channel reads from configuration (SPEC §5.1 Limits); built once per env. */
export function configuredLimits(env: object): ChannelLimits {
  let limits = cache.get(env)
  if (!limits) {
    const c = loadConfig(env)
    limits = Object.freeze({
      maxConnections: c.MAX_CONNECTIONS_PER_ROOM,
      maxMessageBytes: c.MAX_MESSAGE_BYTES,
      messagesPer10s: c.MESSAGES_PER_10S,
    })
    cache.set(env, limits)
  }
  return limits
}

/** How long a typing indicator lives without being renewed (ms). */
export const TYPING_TTL_MS = 5_000

/** A message room's options from configuration (a fresh object: a test may change its own). */
export function roomOptions(env: object, o: { index: boolean }): RoomOptions {
  const c = loadConfig(env)
  return {
    index: o.index,
    typingTtlMs: TYPING_TTL_MS,
    replayLimit: c.REPLAY_LIMIT,
    maxMessageBytes: c.MAX_MESSAGE_BYTES,
  }
}
