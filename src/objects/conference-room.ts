import { DurableObject } from 'cloudflare:workers'
import type { Env } from '../worker/env'

/** The Durable Object for one conference room and its Socket.IO namespace (issue 4). Declared in wrangler.toml; its behaviour lands with its issue. */
export class ConferenceRoom extends DurableObject<Env> {}
