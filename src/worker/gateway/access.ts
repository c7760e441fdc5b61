import { STAFF_ROLES } from '../lib/identity'
import { requireAuth } from '../middleware/auth'
import { staffOrParticipant } from '../middleware/room-access'
import { bearerSecurity } from '../schemas/common'

/** Route options of seed 000's staff-only routes: the bearer scheme in the docs and the role check. */
export const staffOnly = { security: bearerSecurity, middleware: [requireAuth({ roles: STAFF_ROLES })] }

/** What `staffOnly` routes may say in their description. */
export const STAFF_NOTE =
  'Requires a staff bearer (admin, agent or service token); 401 without, 403 for others.'

/** Route options of reads about one room (`?room=`): staff, or a LiveKit token of that room. */
export const staffOrRoomMember = { security: bearerSecurity, middleware: [staffOrParticipant()] }

/** What `staffOrRoomMember` routes say in their description. */
export const ROOM_MEMBER_NOTE = 'Bearer: staff, or a LiveKit token of this room. '
