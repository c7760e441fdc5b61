/**
 * Whether a conference room is closed (D1 `conference_rooms.status`), as the `/{room}` namespace
 * checks it at every CONNECT — without a D1 round trip per CONNECT:
 * - concurrent CONNECTs share one lookup (single flight);
 * - an "open" answer is reused for OPEN_TTL_MS;
 * - "closed" is final (a closed room never reopens), and the object learns it at once when the
 *   room is closed: closeRoom publishes `conference-status {status:"closed"}` to this object,
 *   which calls markRoomClosed. Only if that publish failed could a CONNECT be accepted up to
 *   OPEN_TTL_MS after the close (the LiveKit token itself is always verified).
 */
export const OPEN_TTL_MS = 5000

interface Known {
  closed: boolean
  at: number
  pending?: Promise<boolean>
}

const known = new WeakMap<DurableObjectState, Known>()

export function roomClosed(ctx: DurableObjectState, d1: D1Database, room: string): Promise<boolean> {
  const k = known.get(ctx)
  if (k?.closed) return Promise.resolve(true)
  if (k?.pending) return k.pending
  if (k && Date.now() - k.at < OPEN_TTL_MS) return Promise.resolve(false)
  const entry: Known = k ?? { closed: false, at: 0 }
  known.set(ctx, entry)
  const pending = d1
    .prepare('SELECT status FROM conference_rooms WHERE name = ?')
    .bind(room)
    .first<{ status: string }>()
    .then(
      (row) => {
        entry.closed ||= row?.status === 'closed'
        entry.at = Date.now()
        return entry.closed
      },
      // D1 unavailable: let the token decide, as before, and ask again next time.
      () => entry.closed,
    )
    .finally(() => (entry.pending = undefined))
  entry.pending = pending
  return pending
}

/** The room was closed: refuse every later CONNECT without asking D1. */
export function markRoomClosed(ctx: DurableObjectState): void {
  known.set(ctx, { closed: true, at: Date.now() })
}
