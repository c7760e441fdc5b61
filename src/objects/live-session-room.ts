import { DurableObject } from 'cloudflare:workers'
import type { Env } from '../worker/env'

/** The Durable Object for one live session (issue 5). Declared in wrangler.toml; its behaviour lands with its issue. */
export class LiveSessionRoom extends DurableObject<Env> {}
