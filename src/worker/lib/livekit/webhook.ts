import { WebhookReceiver, type WebhookEvent } from 'livekit-server-sdk'
import type { Config } from '../../config'
import { AppError } from '../errors'
import { nodeForToken } from './nodes'

export type { WebhookEvent }

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
): Promise<{ event: WebhookEvent; node: string }> {
  const token = authorization?.replace(/^Bearer\s+/i, '').trim()
  if (!token) throw new AppError('unauthorized', 'LiveKit webhook is not signed (no Authorization header)')
  const node = nodeForToken(config, token)
  if (!node) throw new AppError('unauthorized', 'LiveKit webhook is signed by an unknown API key')
  try {
    const event = await new WebhookReceiver(node.apiKey, node.apiSecret).receive(rawBody, token)
    return { event, node: node.name }
  } catch (err) {
    throw new AppError('unauthorized', `LiveKit webhook refused: ${err instanceof Error ? err.message : err}`)
  }
}
