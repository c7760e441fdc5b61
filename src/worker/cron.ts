import { db } from './db/client'
import type { Env } from './env'
import { expireLinks } from './services/links'
import { liveKitHealthJob } from './services/livekit-nodes'
import { recordingQueueJob } from './services/recordings'
import { roomExpiryJob } from './services/rooms'
import { pruneWebhookLedger } from './services/webhook-ledger'
import { log } from './lib/log'

/**
 * Cron Triggers (SPEC §1, wrangler.toml `[triggers]`): each schedule maps to the jobs it runs.
 * Every job must be idempotent and safe to run twice at once.
 */
export const cronJobs: Record<string, ((env: Env) => Promise<unknown>)[]> = {
  // Room expiry and link expiry (seed 000 §8) — registered by the conference gateway services —
  // and LiveKit webhook ids whose signatures have expired.
  '*/30 * * * *': [(env) => expireLinks(db(env.DB)), roomExpiryJob, (env) => pruneWebhookLedger(db(env.DB))],
  // LiveKit node health (seed 000 §8) — registered by the LiveKit services.
  '*/10 * * * *': [liveKitHealthJob, recordingQueueJob],
}

/** Runs every job of `cron`; one failing job does not stop the others, and each failure is logged. */
export async function runScheduled(cron: string, env: Env): Promise<void> {
  const jobs = cronJobs[cron]
  if (!jobs) {
    log('error', { msg: 'unknown schedule', cron })
    return
  }
  const results = await Promise.allSettled(jobs.map((job) => job(env)))
  for (const r of results) {
    if (r.status === 'rejected') log('error', { msg: 'cron job failed', cron, error: String(r.reason) })
  }
}
