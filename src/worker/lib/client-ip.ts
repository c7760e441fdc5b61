import type { Context } from 'hono'

/** The caller's address as Cloudflare reports it (`cf-connecting-ip`), `local` when absent (dev, tests). */
export const clientIp = (c: Context) => c.req.header('cf-connecting-ip') ?? 'local'
