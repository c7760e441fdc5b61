import { and, count, desc, eq, inArray, isNotNull, isNull, sql } from 'drizzle-orm'
import type { VideoGrant } from 'livekit-server-sdk'
import { liveKitNodes as configuredNodes, type Config, type LiveKitNodeConfig } from '../config'
import type { Env } from '../env'
import type { Db } from '../db/client'
import { liveParticipants, liveSessions } from '../db/schema'
import { AppError, conflict, forbidden, notFound } from '../lib/errors'
import type { AuthIdentity } from '../lib/identity'
import { secretToken, sha256Hex } from '../lib/ids'
import { LiveKitRoomService, mintParticipantToken } from '../lib/livekit'
import { iso } from '../lib/time'
import type { LiveRole } from '../schemas/live'
import { chooseNode, roomNode } from './livekit-nodes'
import { liveRecordingView } from './recording-view'
import { claimRecording, currentRecording, stopRow } from './recordings'
import { clientUrl } from './room-users'
import { log } from '../lib/log'

export type SessionRow = typeof liveSessions.$inferSelect
export type ParticipantRow = typeof liveParticipants.$inferSelect

/**
 * LiveKit grants per live-session role (beyond `roomJoin` + `room`, added when minting):
 * - host (the owner): publish, subscribe, data, and `roomAdmin` (moderate inside LiveKit);
 * - co_host: the same as host, `roomAdmin` included — a co-host moderates the room; what a co-host
 *   may NOT do (end/delete the session, recording, naming co-hosts) is enforced by this API;
 * - speaker: publish, subscribe, data; no admin;
 * - viewer: subscribe and data (chat, reactions) only; never media.
 */
export const LIVE_GRANTS: Record<LiveRole, Omit<VideoGrant, 'room' | 'roomJoin'>> = {
  host: {
    canPublish: true,
    canSubscribe: true,
    canPublishData: true,
    roomAdmin: true,
    canUpdateOwnMetadata: true,
  },
  co_host: {
    canPublish: true,
    canSubscribe: true,
    canPublishData: true,
    roomAdmin: true,
    canUpdateOwnMetadata: true,
  },
  speaker: { canPublish: true, canSubscribe: true, canPublishData: true, canUpdateOwnMetadata: false },
  viewer: { canPublish: false, canSubscribe: true, canPublishData: true, canUpdateOwnMetadata: false },
}

const ACTIVE = and(isNull(liveParticipants.leftAt), isNull(liveParticipants.kickedAt))

// ── Views ───────────────────────────────────────────────────────────────────────────────
export function sessionView(row: SessionRow, participantCount: number) {
  return {
    session_id: row.id,
    owner_id: row.ownerId,
    title: row.title,
    description: row.description,
    session_type: row.sessionType,
    status: row.status,
    max_participants: row.maxParticipants,
    is_public: row.isPublic,
    is_recorded: row.isRecorded,
    recording: row.recordingId !== null,
    participant_count: participantCount,
    scheduled_at: iso(row.scheduledAt),
    started_at: iso(row.startedAt),
    ended_at: iso(row.endedAt),
    created_at: iso(row.createdAt),
  }
}

export const participantView = (p: ParticipantRow) => ({
  user_id: p.userId,
  display_name: p.displayName,
  role: p.role,
  joined_at: iso(p.joinedAt),
  left_at: iso(p.leftAt),
  kicked: p.kickedAt !== null,
})

async function activeCount(db: Db, sessionId: string): Promise<number> {
  const [{ n }] = await db
    .select({ n: count() })
    .from(liveParticipants)
    .where(and(eq(liveParticipants.sessionId, sessionId), ACTIVE))
    .all()
  return n
}

/** A session as its API answers it (with the count of active participants). */
export const viewSession = async (db: Db, row: SessionRow) => sessionView(row, await activeCount(db, row.id))

// ── Lookup and rights ───────────────────────────────────────────────────────────────────
export async function getSession(db: Db, id: string): Promise<SessionRow> {
  const row = await db.select().from(liveSessions).where(eq(liveSessions.id, id)).get()
  if (!row) throw notFound('Live session')
  return row
}

const findParticipant = (db: Db, sessionId: string, userId: string) =>
  db
    .select()
    .from(liveParticipants)
    .where(and(eq(liveParticipants.sessionId, sessionId), eq(liveParticipants.userId, userId)))
    .get()

const isOwnerOrAdmin = (row: SessionRow, who: AuthIdentity) => who.role === 'admin' || row.ownerId === who.id

function requireOwnerOrAdmin(row: SessionRow, who: AuthIdentity) {
  if (!isOwnerOrAdmin(row, who)) throw forbidden('Only the session’s owner or an admin may do this')
}

/**
 * A session the caller may see: public ones for anyone; private ones only for their owner, admins
 * and participants (others get 404, so private sessions are not disclosed).
 */
export async function visibleSession(db: Db, id: string, who?: AuthIdentity): Promise<SessionRow> {
  const row = await getSession(db, id)
  if (row.isPublic) return row
  if (who && (isOwnerOrAdmin(row, who) || (await findParticipant(db, id, who.id)))) return row
  throw notFound('Live session')
}

/**
 * Who may open the session's socket, and as what: the owner (host), admins, and participants who
 * joined and were neither kicked nor left. An ended session is a 409, a kicked user a 403.
 */
export async function socketRole(db: Db, id: string, who: AuthIdentity): Promise<LiveRole | 'admin'> {
  const row = await visibleSession(db, id, who)
  if (row.status === 'ended') throw conflict('The session has ended')
  if (row.ownerId === who.id) return 'host'
  const p = await findParticipant(db, id, who.id)
  if (p?.kickedAt) throw forbidden('You were removed from this session')
  if (p && !p.leftAt) return p.role
  if (who.role === 'admin') return 'admin'
  throw forbidden('Join the session first (POST /api/v1/live/sessions/{session_id}/join)')
}

// ── Listing ─────────────────────────────────────────────────────────────────────────────
/** Public sessions, newest first; `status` filters (default: scheduled and live). */
export async function listPublicSessions(
  db: Db,
  q: { status?: SessionRow['status']; page: number; limit: number },
) {
  const where = and(
    eq(liveSessions.isPublic, true),
    q.status ? eq(liveSessions.status, q.status) : inArray(liveSessions.status, ['scheduled', 'live']),
  )
  const counts = db
    .select({ sessionId: liveParticipants.sessionId, n: count().as('n') })
    .from(liveParticipants)
    .where(ACTIVE)
    .groupBy(liveParticipants.sessionId)
    .as('counts')
  const [rows, [{ total }]] = await Promise.all([
    db
      .select({ s: liveSessions, n: counts.n })
      .from(liveSessions)
      .leftJoin(counts, eq(counts.sessionId, liveSessions.id))
      .where(where)
      .orderBy(desc(liveSessions.createdAt), desc(liveSessions.id))
      .limit(q.limit)
      .offset((q.page - 1) * q.limit)
      .all(),
    db.select({ total: count() }).from(liveSessions).where(where).all(),
  ])
  return { sessions: rows.map((r) => sessionView(r.s, r.n ?? 0)), total, page: q.page, limit: q.limit }
}

export async function listParticipants(db: Db, sessionId: string, activeOnly = true) {
  const rows = await db
    .select()
    .from(liveParticipants)
    .where(and(eq(liveParticipants.sessionId, sessionId), activeOnly ? ACTIVE : undefined))
    .orderBy(liveParticipants.joinedAt)
    .all()
  return rows.map(participantView)
}

// ── LiveKit plumbing ────────────────────────────────────────────────────────────────────
/**
 * The node a session lives on (chosen at creation). A node no longer configured is a 503 naming
 * it, as for conference rooms: the session's LiveKit room is there, not on another node.
 */
const sessionNode = (config: Config, row: SessionRow): LiveKitNodeConfig =>
  roomNode(config, row.node ?? 'default')

const roomService = (config: Config, row: SessionRow) => new LiveKitRoomService(sessionNode(config, row))

/** A LiveKit call where "no such room/participant" means there is nothing to undo. */
async function ignoringNotFound(call: Promise<unknown>) {
  try {
    await call
  } catch (err) {
    if (!(err instanceof AppError && err.code === 'not_found')) throw err
  }
}

async function tokenFor(config: Config, row: SessionRow, identity: string, name: string, role: LiveRole) {
  return mintParticipantToken(sessionNode(config, row), {
    room: row.id,
    identity,
    name,
    grant: LIVE_GRANTS[role],
    ttl: config.LIVE_TOKEN_TTL,
    attributes: { role },
  })
}

function inviteLink(config: Config, id: string, token?: string) {
  const base = `${config.API_URL.replace(/\/+$/, '')}/live/${id}`
  return token ? `${base}?token=${encodeURIComponent(token)}` : base
}

// ── Lifecycle ───────────────────────────────────────────────────────────────────────────
export interface CreateSessionInput {
  title: string
  description?: string
  session_type: string
  max_participants: number
  is_public: boolean
  is_recorded: boolean
  scheduled_at?: string
}

/**
 * Creates a session owned by the caller (admin or mentor; the route checks), on the healthy
 * LiveKit node with the fewest rooms. Private sessions get an invite token, stored only hashed and
 * shown once in `invite_link`. No LiveKit call: the room is created when the session starts.
 */
export async function createSession(db: Db, config: Config, owner: AuthIdentity, input: CreateSessionInput) {
  const invite = input.is_public ? undefined : secretToken()
  const node = (await chooseNode(db, config)) ?? configuredNodes(config)[0]
  const row = await db
    .insert(liveSessions)
    .values({
      id: crypto.randomUUID(),
      ownerId: owner.id,
      title: input.title,
      description: input.description ?? null,
      sessionType: input.session_type,
      maxParticipants: input.max_participants,
      isPublic: input.is_public,
      isRecorded: input.is_recorded,
      inviteTokenHash: invite ? await sha256Hex(invite) : null,
      node: node.name,
      scheduledAt: input.scheduled_at ? Date.parse(input.scheduled_at) : null,
    })
    .returning()
    .get()
  return {
    session_id: row.id,
    invite_link: inviteLink(config, row.id, invite),
    host_token: await tokenFor(config, row, owner.id, owner.name, 'host'),
    server_url: clientUrl(node.url),
    session: sessionView(row, 0),
    created_at: iso(row.createdAt),
  }
}

export async function updateSession(
  db: Db,
  config: Config,
  id: string,
  who: AuthIdentity,
  patch: {
    title?: string
    description?: string | null
    max_participants?: number
    is_public?: boolean
    is_recorded?: boolean
    scheduled_at?: string | null
    regenerate_invite?: boolean
  },
) {
  const row = await getSession(db, id)
  requireOwnerOrAdmin(row, who)
  if (row.status === 'ended') throw conflict('The session has ended')
  const becomesPrivate = patch.is_public === false || (patch.is_public === undefined && !row.isPublic)
  const invite =
    becomesPrivate && (patch.regenerate_invite || !row.inviteTokenHash) ? secretToken() : undefined
  const updated = await db
    .update(liveSessions)
    .set({
      ...(patch.title === undefined ? {} : { title: patch.title }),
      ...(patch.description === undefined ? {} : { description: patch.description }),
      ...(patch.max_participants === undefined ? {} : { maxParticipants: patch.max_participants }),
      ...(patch.is_public === undefined ? {} : { isPublic: patch.is_public }),
      ...(patch.is_recorded === undefined ? {} : { isRecorded: patch.is_recorded }),
      ...(patch.scheduled_at === undefined
        ? {}
        : { scheduledAt: patch.scheduled_at === null ? null : Date.parse(patch.scheduled_at) }),
      ...(invite ? { inviteTokenHash: await sha256Hex(invite) } : {}),
      updatedAt: Date.now(),
    })
    .where(eq(liveSessions.id, id))
    .returning()
    .get()
  if (!updated) throw notFound('Live session')
  const view = await viewSession(db, updated)
  return invite ? { ...view, invite_link: inviteLink(config, id, invite) } : view
}

/**
 * scheduled → live. Creates the LiveKit room (with max_participants) first: if LiveKit fails the
 * answer is its 502/503 and the session stays scheduled. Starting twice is a 409. A session with
 * `is_recorded` starts recording as it goes live (when LIVEKIT_RECORDING_ENABLED); a recording
 * that cannot start (no free slot, LiveKit refusing egress) does not stop the session going live:
 * it is logged, and a failed egress is a `recording` event with status `failed`.
 */
export async function startSession(env: Env, db: Db, config: Config, id: string, who: AuthIdentity) {
  const row = await getSession(db, id)
  requireOwnerOrAdmin(row, who)
  if (row.status !== 'scheduled') throw conflict(`The session is already ${row.status}`)
  await roomService(config, row).createRoom({
    name: row.id,
    maxParticipants: row.maxParticipants,
    emptyTimeout: 600,
  })
  const now = Date.now()
  const updated = await db
    .update(liveSessions)
    .set({ status: 'live', startedAt: now, updatedAt: now })
    .where(and(eq(liveSessions.id, id), eq(liveSessions.status, 'scheduled')))
    .returning()
    .get()
  if (!updated) throw conflict('The session was started or ended meanwhile')
  if (!updated.isRecorded || !config.LIVEKIT_RECORDING_ENABLED) return viewSession(db, updated)
  try {
    await recordSession(env, db, config, updated, who.id)
  } catch (err) {
    log('warn', { msg: 'recording not started', session: id, error: String(err) })
  }
  return viewSession(db, await getSession(db, id))
}

/**
 * → ended. Stops a running recording and deletes the LiveKit room first (a room LiveKit no longer
 * has is fine); an unreachable LiveKit is a 503 and the session stays as it was. Everyone still in
 * the session is marked as having left.
 */
export async function endSession(env: Env, db: Db, config: Config, id: string, who: AuthIdentity) {
  const row = await getSession(db, id)
  requireOwnerOrAdmin(row, who)
  if (row.status === 'ended') throw conflict('The session has already ended')
  await closeLiveKitSide(env, db, config, row)
  const now = Date.now()
  const updated = await db
    .update(liveSessions)
    .set({ status: 'ended', endedAt: now, recordingId: null, updatedAt: now })
    .where(and(eq(liveSessions.id, id), inArray(liveSessions.status, ['scheduled', 'live'])))
    .returning()
    .get()
  if (!updated) throw conflict('The session has already ended')
  await db
    .update(liveParticipants)
    .set({ leftAt: now })
    .where(and(eq(liveParticipants.sessionId, id), isNull(liveParticipants.leftAt)))
  return viewSession(db, updated)
}

/** Stops a running recording (an egress LiveKit no longer knows is fine) and deletes the LiveKit room. */
async function closeLiveKitSide(env: Env, db: Db, config: Config, row: SessionRow) {
  const rec = await currentRecording(db, row.id, 'live')
  if (rec && (rec.status === 'starting' || rec.status === 'active'))
    await ignoringNotFound(stopRow(env, db, config, rec))
  if (row.status === 'live') await ignoringNotFound(roomService(config, row).deleteRoom(row.id))
}

/** Deletes a session (owner or admin); a live one's LiveKit room is deleted first (503 if unreachable). */
export async function deleteSession(env: Env, db: Db, config: Config, id: string, who: AuthIdentity) {
  const row = await getSession(db, id)
  requireOwnerOrAdmin(row, who)
  if (row.status !== 'ended') await closeLiveKitSide(env, db, config, row)
  await db.delete(liveSessions).where(eq(liveSessions.id, id))
}

// ── Joining ─────────────────────────────────────────────────────────────────────────────
/**
 * Joins the caller and mints their LiveKit token. Role: host for the owner; otherwise the role the
 * caller already holds in the session (a host may have promoted them), else viewer. A private
 * session needs its invite token, except for its owner, admins and earlier participants. Kicked
 * users are refused (403); an ended session is a 409; a full one (max_participants active) a 409.
 */
export async function joinSession(
  db: Db,
  config: Config,
  id: string,
  who: AuthIdentity,
  body: { display_name?: string; invite_token?: string },
) {
  const row = await getSession(db, id)
  if (row.status === 'ended') throw conflict('The session has ended')
  const existing = await findParticipant(db, id, who.id)
  if (existing?.kickedAt) throw forbidden('You were removed from this session')
  const isOwner = row.ownerId === who.id
  if (!row.isPublic && !isOwner && who.role !== 'admin' && !existing) {
    if (!body.invite_token) throw forbidden('This session is private: an invite token is required')
    if ((await sha256Hex(body.invite_token)) !== row.inviteTokenHash) throw forbidden('Invalid invite token')
  }
  const displayName = body.display_name ?? existing?.displayName ?? who.name ?? who.id
  // One statement, so racing joins cannot overfill the session and a racing kick wins: the row
  // is written only while fewer than max_participants others are active (the owner and anyone
  // already active are exempt), and an existing row only while it is not kicked. The role of an
  // existing row is kept (a promotion may have just landed).
  const exempt = isOwner || (existing !== undefined && existing.leftAt === null)
  const [written] = await db.all<{ role: LiveRole }>(sql`
    INSERT INTO live_participants (session_id, user_id, display_name, role, joined_at)
    SELECT ${id}, ${who.id}, ${displayName}, ${isOwner ? 'host' : 'viewer'}, ${Date.now()}
    WHERE ${exempt ? 1 : 0} = 1 OR (
      SELECT count(*) FROM live_participants
      WHERE session_id = ${id} AND user_id <> ${who.id} AND left_at IS NULL AND kicked_at IS NULL
    ) < ${row.maxParticipants}
    ON CONFLICT (session_id, user_id) DO UPDATE
      SET display_name = excluded.display_name, joined_at = excluded.joined_at, left_at = NULL
      WHERE live_participants.kicked_at IS NULL
    RETURNING role`)
  if (!written) {
    if ((await findParticipant(db, id, who.id))?.kickedAt)
      throw forbidden('You were removed from this session')
    throw conflict('The session is full')
  }
  const role = written.role
  const grant = LIVE_GRANTS[role]
  return {
    session_id: id,
    access_token: await tokenFor(config, row, who.id, displayName, role),
    server_url: clientUrl(sessionNode(config, row).url),
    role,
    can_publish: grant.canPublish ?? false,
    can_subscribe: grant.canSubscribe ?? false,
    can_publish_data: grant.canPublishData ?? false,
    room_admin: grant.roomAdmin ?? false,
  }
}

/**
 * LiveKit's `participant_joined` / `participant_left` for a live session's room (named by the
 * session id): the participant is active again, or has left — so leavers stop counting toward
 * `max_participants`. Kicked participants and ended sessions are left alone; a repeated delivery
 * changes nothing (false).
 */
export async function participantPresence(
  db: Db,
  sessionId: string,
  userId: string,
  present: boolean,
  at: number,
): Promise<boolean> {
  const row = await db
    .update(liveParticipants)
    .set({ leftAt: present ? null : at })
    .where(
      and(
        eq(liveParticipants.sessionId, sessionId),
        eq(liveParticipants.userId, userId),
        isNull(liveParticipants.kickedAt),
        present ? isNotNull(liveParticipants.leftAt) : isNull(liveParticipants.leftAt),
        sql`EXISTS (SELECT 1 FROM live_sessions WHERE id = ${sessionId} AND status <> 'ended')`,
      ),
    )
    .returning()
    .get()
  return row !== undefined
}

// ── Moderation ──────────────────────────────────────────────────────────────────────────
/**
 * Who may act on `target`: owner and admins on anyone but the host; co-hosts on speakers and
 * viewers only (and may hand out only speaker and viewer).
 */
async function requireModerator(
  db: Db,
  row: SessionRow,
  who: AuthIdentity,
  target: ParticipantRow,
  newRole?: LiveRole,
) {
  if (target.role === 'host' || target.userId === row.ownerId)
    throw forbidden('The host cannot be demoted or removed')
  if (isOwnerOrAdmin(row, who)) return
  const me = await findParticipant(db, row.id, who.id)
  const coHost = me && me.role === 'co_host' && !me.kickedAt
  if (!coHost) throw forbidden('Only the owner, an admin or a co-host may manage participants')
  if (target.role === 'co_host' || newRole === 'co_host')
    throw forbidden('Only the owner or an admin may manage co-hosts')
}

async function getParticipant(db: Db, sessionId: string, userId: string) {
  const p = await findParticipant(db, sessionId, userId)
  if (!p) throw notFound('Participant')
  return p
}

/**
 * Changes a participant's role. While the session is live, the participant's permissions in
 * LiveKit are updated first (UpdateParticipant; not connected is fine), so the change applies
 * without reconnecting; a LiveKit failure is a 502/503 and changes nothing.
 */
export async function changeRole(
  db: Db,
  config: Config,
  sessionId: string,
  userId: string,
  who: AuthIdentity,
  role: Exclude<LiveRole, 'host'>,
) {
  const row = await getSession(db, sessionId)
  if (row.status === 'ended') throw conflict('The session has ended')
  const target = await getParticipant(db, sessionId, userId)
  if (target.kickedAt) throw conflict('The participant was removed from this session')
  await requireModerator(db, row, who, target, role)
  if (row.status === 'live') {
    const g = LIVE_GRANTS[role]
    await ignoringNotFound(
      roomService(config, row).updateParticipant(row.id, userId, {
        permission: {
          canPublish: g.canPublish,
          canSubscribe: g.canSubscribe,
          canPublishData: g.canPublishData,
        },
      }),
    )
  }
  const updated = await db
    .update(liveParticipants)
    .set({ role })
    .where(and(eq(liveParticipants.sessionId, sessionId), eq(liveParticipants.userId, userId)))
    .returning()
    .get()
  return participantView(updated!)
}

/**
 * Kicks a participant: removed from the LiveKit room first (RemoveParticipant; not connected is
 * fine; LiveKit failure → 502/503 and nothing changes), then marked kicked, so they cannot rejoin.
 */
export async function kickParticipant(
  db: Db,
  config: Config,
  sessionId: string,
  userId: string,
  who: AuthIdentity,
) {
  const row = await getSession(db, sessionId)
  const target = await getParticipant(db, sessionId, userId)
  await requireModerator(db, row, who, target)
  if (row.status === 'live')
    await ignoringNotFound(roomService(config, row).removeParticipant(row.id, userId))
  const now = Date.now()
  const updated = await db
    .update(liveParticipants)
    .set({
      kickedAt: sql`coalesce(${liveParticipants.kickedAt}, ${now})`,
      leftAt: sql`coalesce(${liveParticipants.leftAt}, ${now})`,
    })
    .where(and(eq(liveParticipants.sessionId, sessionId), eq(liveParticipants.userId, userId)))
    .returning()
    .get()
  return participantView(updated!)
}

// ── Recording ───────────────────────────────────────────────────────────────────────────
/**
 * Starts a room-composite recording of a live session to R2 (`recordings/live/<id>/<rec>.mp4`)
 * through the recording service rooms use (recordings.ts `claimRecording`), owner or admin only:
 * one recording at a time (409), EGRESS_LIMIT recordings at most across the system, claimed
 * atomically (409 when full: a live stream's recording is not worth starting late), refused when
 * LIVEKIT_RECORDING_ENABLED is off (409). The session's sockets get `recording` events.
 */
export async function startRecording(env: Env, db: Db, config: Config, sessionId: string, who: AuthIdentity) {
  const row = await getSession(db, sessionId)
  requireOwnerOrAdmin(row, who)
  if (row.status !== 'live') throw conflict('Only a live session can be recorded')
  return liveRecordingView(await recordSession(env, db, config, row, who.id))
}

const recordSession = (env: Env, db: Db, config: Config, row: SessionRow, requestedBy: string) =>
  claimRecording(env, db, config, {
    owner: 'live',
    room: row.id,
    kind: 'room_composite',
    requestedBy,
    queue: false,
  })

/**
 * Stops the session's recording (owner or admin): StopEgress, `ending`; the egress webhook later
 * marks it complete (with its R2 key) and clears the session's `recording`. Not recording → 409.
 */
export async function stopRecording(env: Env, db: Db, config: Config, sessionId: string, who: AuthIdentity) {
  const row = await getSession(db, sessionId)
  requireOwnerOrAdmin(row, who)
  const rec = await currentRecording(db, sessionId, 'live')
  if (!rec) throw conflict('The session is not being recorded')
  return liveRecordingView(await stopRow(env, db, config, rec))
}
