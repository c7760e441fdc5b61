import { decodeJwt } from 'jose'
import { WebhookReceiver, type WebhookEvent } from 'livekit-server-sdk'
import type { Config } from '../../config'
import { AppError } from '../errors'
import { nodeForToken } from './nodes'

export type { WebhookEvent }

/** A verified LiveKit webhook: the event, the node that signed it, and what the signature says. */
export interface ReceivedWebhook {
  event: WebhookEvent
  node: string
  /** When the signature expires (epoch ms): after it, the same body is refused. */
  signatureExpiresAt: number
  /** The body's SHA-256 (base64) the signature covers: the event's identity when it has no `id`. */
  digest: string
}

/**
 * Verifies a LiveKit webhook with the SDK's `WebhookReceiver` over the raw body: the
 * `Authorization` header is the JWT (a `Bearer ` prefix is tolerated) signed by a configured
 * node's key, unexpired, whose `sha256` claim is the body's hash. Anything else is a 401 — the
 * caller must not act on the body before this returns.
 */
export async function receiveLiveKitWebhook(
  config: Config,
  rawBody: string,
  authorization: string | undefined,
): Promise<ReceivedWebhook> {
  const token = authorization?.replace(/^Bearer\s+/i, '').trim()
  if (!token) throw new AppError('unauthorized', 'LiveKit webhook is not signed (no Authorization header)')
  const node = nodeForToken(config, token)
  if (!node) throw new AppError('unauthorized', 'LiveKit webhook is signed by an unknown API key')
  try {
    const event = await new WebhookReceiver(node.apiKey, node.apiSecret).receive(rawBody, token)
    // Verified above: the token is unexpired and its sha256 claim is the body's.
    const claims = decodeJwt(token) as { exp?: number; sha256?: string }
    return {
      event,
      node: node.name,
      signatureExpiresAt: (claims.exp ?? 0) * 1000,
      digest: claims.sha256 ?? '',
    }
  } catch (err) {
    throw new AppError('unauthorized', `LiveKit webhook refused: ${err instanceof Error ? err.message : err}`)
  }
}
