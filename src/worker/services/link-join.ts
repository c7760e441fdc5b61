import type { Config } from '../config'
import type { Db } from '../db/client'
import { conflict, notFound } from '../lib/errors'
import { USER_TYPES, type UserType } from '../lib/livekit'
import { activeLink, refusal, type LinkRow } from './links'
import { assertJoinable, type RoomRow } from './rooms'
import { grantFor, newIdentity, type JoinGrant } from './room-users'

/**
 * The participant type a link's holder joins as: the link's `userType` (`hls` links join as
 * `viewer`). A link made for anything else cannot join a call (409).
 */
export function linkUserType(row: Pick<LinkRow, 'id' | 'userType'>): UserType {
  if (row.userType === 'hls') return 'viewer'
  if ((USER_TYPES as readonly string[]).includes(row.userType)) return row.userType as UserType
  throw conflict(`Link ${row.id} is for userType ${row.userType}, which cannot join a call`)
}

/**
 * Seed 000 `JoinConferenceMiddleware` + `generateUserJoinConference`: the holder of link `linkID`
 * joins the link's room as the link's user type, without a bearer. The link must exist (404), be
 * enabled and unexpired (410), and its room open (404 absent, 409 closed or expired). A one-time
 * link yields ONE participant: the insert is conditional on no participant carrying that link yet,
 * so of two racing joins one wins and the other gets 410. Opening it with `/link/getdetail` first
 * does not spend that participant. The participant is recorded with its link id (and `socketId`),
 * and the link is stamped used and connected in the same D1 batch.
 */
export async function joinByLink(
  d: Db,
  config: Config,
  linkID: string,
  input: { userName?: string; socketId?: string; device?: string } = {},
  now = Date.now(),
): Promise<JoinGrant> {
  const link = await activeLink(d, linkID, now)
  const userType = linkUserType(link)
  const identity = newIdentity(userType)
  const userName = input.userName ?? link.userName ?? userType
  const d1 = d.$client
  const [found, inserted] = await d1.batch([
    d1.prepare('SELECT name, node, status, expires_at FROM conference_rooms WHERE name = ?').bind(link.room),
    d1
      .prepare(
        `INSERT INTO room_users (room, identity, name, user_type, link_id, socket_id, device)
         SELECT r.name, ?1, ?2, ?3, l.id, ?4, ?5
           FROM links l JOIN conference_rooms r ON r.name = l.room
          WHERE l.id = ?6 AND l.enabled = 1 AND l.expires_at > ?7
            AND r.status != 'closed' AND r.expires_at > ?7
            AND (l.one_time = 0 OR NOT EXISTS (SELECT 1 FROM room_users u WHERE u.link_id = l.id))`,
      )
      .bind(identity, userName, userType, input.socketId ?? null, input.device ?? null, linkID, now),
    d1
      .prepare(
        `UPDATE links SET used_at = coalesce(used_at, ?1), connected_at = ?1
          WHERE id = ?2 AND EXISTS (SELECT 1 FROM room_users WHERE room = ?3 AND identity = ?4)`,
      )
      .bind(now, linkID, link.room, identity),
  ])
  const row = found.results[0] as
    { name: string; node: string; status: RoomRow['status']; expires_at: number } | undefined
  if (!row) throw notFound(`Room ${link.room}`)
  const room = { name: row.name, node: row.node, status: row.status, expiresAt: row.expires_at }
  if (inserted.meta.changes !== 1) {
    assertJoinable(room)
    // The room is open, so the link changed under us or its one participant exists already.
    throw refusal(await activeLink(d, linkID, now), linkID, now)
  }
  return grantFor(config, room, identity, { userName, userType })
}
