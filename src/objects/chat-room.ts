import { DurableObject } from 'cloudflare:workers'
import type { Env } from '../worker/env'

/** The Durable Object for one chat (issue 3). Declared in wrangler.toml; its behaviour lands with its issue. */
export class ChatRoom extends DurableObject<Env> {}
