import { DurableObject } from 'cloudflare:workers'
import type { Env } from '../worker/env'

/** The Durable Object for the case queue (issue 4). Declared in wrangler.toml; its behaviour lands with its issue. */
export class CaseQueue extends DurableObject<Env> {}
