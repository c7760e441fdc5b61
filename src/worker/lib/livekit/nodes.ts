import { decodeJwt } from 'jose'
import { type Config, type LiveKitNodeConfig, liveKitNodes } from '../../config'

export type { LiveKitNodeConfig }

/** A node as the placement logic sees it: configured, with its health and load from D1. */
export interface NodeLoad {
  name: string
  healthy: boolean
  /** Rooms currently placed on it (not closed). */
  rooms: number
}

/** The configured node called `name`, or undefined when the configuration no longer has it. */
export function findNode(config: Config, name: string): LiveKitNodeConfig | undefined {
  return liveKitNodes(config).find((n) => n.name === name)
}

/** The configured node whose API key signed `jwt` (its `iss`), without verifying the signature. */
export function nodeForToken(config: Config, jwt: string): LiveKitNodeConfig | undefined {
  let iss: unknown
  try {
    iss = decodeJwt(jwt).iss
  } catch {
    return undefined
  }
  return liveKitNodes(config).find((n) => n.apiKey === iss)
}

/**
 * Picks where a new room goes: the healthy node with the fewest rooms, ties to the earlier one in
 * configuration order (the default node first). Undefined when no node is healthy.
 */
export function pickNode(candidates: readonly NodeLoad[]): NodeLoad | undefined {
  let best: NodeLoad | undefined
  for (const n of candidates) {
    if (n.healthy && (!best || n.rooms < best.rooms)) best = n
  }
  return best
}
