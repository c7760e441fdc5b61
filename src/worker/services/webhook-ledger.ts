import { and, eq, gt, inArray, lt } from 'drizzle-orm'
import type { Db } from '../db/client'
import { liveKitWebhookEvents } from '../db/schema'
import type { ReceivedWebhook } from '../lib/livekit'

/**
 * How long past its signature's expiry an event id is kept: the SDK's verifier tolerates 10 s of
 * clock skew; a minute leaves room for the Worker's and LiveKit's clocks to disagree a little more.
 */
export const LEDGER_MARGIN_MS = 60_000

/** What the ledger says of a verified webhook: apply it, or why it changes nothing. */
export type LedgerVerdict = 'apply' | 'duplicate' | 'stale'

/** One verified webhook as the ledger records it. */
export interface LedgerEntry {
  id: string
  room: string
  /** What the event sets (see subjectOf); null when nothing orders it (usage-log events). */
  subject: string | null
  event: string
  /** LiveKit's `createdAt`, epoch ms. */
  createdAt: number
  expiresAt: number
}

/**
 * The state an event sets, so events on the same thing are applied in `createdAt` order:
 * a room's status, one participant's presence, one egress. Usage-log events (tracks) order nothing.
 */
export function subjectOf(event: ReceivedWebhook['event']): string | null {
  switch (event.event as string) {
    case 'room_started':
    case 'room_finished':
      return 'room'
    case 'participant_joined':
    case 'participant_left':
      return event.participant ? `participant:${event.participant.identity}` : null
    case 'egress_started':
    case 'egress_ended':
      return event.egressInfo?.egressId ? `egress:${event.egressInfo.egressId}` : null
    default:
      return null
  }
}

/**
 * The subjects whose newer events make an event on `subject` stale: its own, and for a
 * participant also the room's (a room that finished after a participant joined has everyone left).
 */
const supersededBy = (subject: string) => (subject.startsWith('participant:') ? [subject, 'room'] : [subject])

/** The ledger entry of a verified webhook: its id (LiveKit's, else the body's hash), room, subject and times. */
export function ledgerEntry(received: ReceivedWebhook, room: string | null, createdAt: number): LedgerEntry {
  return {
    id: received.event.id || `sha256:${received.digest}`,
    room: room ?? '',
    subject: subjectOf(received.event),
    event: received.event.event,
    createdAt,
    expiresAt: received.signatureExpiresAt + LEDGER_MARGIN_MS,
  }
}

/**
 * Records a webhook before it is applied, in one D1 batch: `duplicate` when its id was already
 * recorded (a repeat delivery or a replay within the signature's lifetime), `stale` when a newer
 * event on the same subject was (it arrived out of order and must not undo that state), else `apply`.
 */
export async function claimWebhook(d: Db, entry: LedgerEntry): Promise<LedgerVerdict> {
  const insert = d
    .insert(liveKitWebhookEvents)
    .values(entry)
    .onConflictDoNothing({ target: liveKitWebhookEvents.id })
    .returning({ id: liveKitWebhookEvents.id })
  if (!entry.subject) {
    return (await insert.all()).length === 0 ? 'duplicate' : 'apply'
  }
  const [inserted, newer] = await d.batch([
    insert,
    d
      .select({ id: liveKitWebhookEvents.id })
      .from(liveKitWebhookEvents)
      .where(
        and(
          eq(liveKitWebhookEvents.room, entry.room),
          inArray(liveKitWebhookEvents.subject, supersededBy(entry.subject)),
          gt(liveKitWebhookEvents.createdAt, entry.createdAt),
        ),
      )
      .limit(1),
  ])
  if (inserted.length === 0) return 'duplicate'
  return newer.length > 0 ? 'stale' : 'apply'
}

/** Forgets a webhook whose handling failed, so LiveKit's retry of it is applied rather than ignored. */
export async function releaseWebhook(d: Db, id: string): Promise<void> {
  await d.delete(liveKitWebhookEvents).where(eq(liveKitWebhookEvents.id, id))
}

/** Cron: drops ids whose signatures have expired (their bodies can no longer be delivered). */
export async function pruneWebhookLedger(d: Db, now = Date.now()): Promise<number> {
  const gone = await d
    .delete(liveKitWebhookEvents)
    .where(lt(liveKitWebhookEvents.expiresAt, now))
    .returning({ id: liveKitWebhookEvents.id })
  return gone.length
}
