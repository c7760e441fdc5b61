import { DurableObject } from 'cloudflare:workers'
import type { Env } from '../worker/env'

/** The Durable Object for one notification channel (issue 4). Declared in wrangler.toml; its behaviour lands with its issue. */
export class NotificationChannel extends DurableObject<Env> {}
