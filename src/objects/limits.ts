import { loadConfig } from '../worker/config'
import type { ChannelLimits } from './channel'

/** The per-room limits every channel reads from configuration (SPEC §5.1 Limits). */
export function configuredLimits(env: object): ChannelLimits {
  const c = loadConfig(env)
  return {
    maxConnections: c.MAX_CONNECTIONS_PER_ROOM,
    maxMessageBytes: c.MAX_MESSAGE_BYTES,
    messagesPer10s: c.MESSAGES_PER_10S,
  }
}
