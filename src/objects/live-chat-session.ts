import { DurableObject } from 'cloudflare:workers'
import type { Env } from '../worker/env'

/** The Durable Object for one customer/agent live-chat session (seed 004). Declared in wrangler.toml; its behaviour lands with its issue. */
export class LiveChatSession extends DurableObject<Env> {}
