import { loadConfig } from '../worker/config'
import type { ChannelLimits } from './channel'

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
