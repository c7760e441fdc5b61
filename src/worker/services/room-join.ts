/**
 * Joining a room that exists, one D1 batch (see `addToExistingRoom` in ./room-users): `room` binds
 * (room name) and reads its row; `participant` binds (identity, user name, user type, room name,
 * now) and inserts the participant only if the room is open at that moment. In a module of its own
 * for the bench's REST floor, which runs the same statements without the framework
 * (bench/floor/rest-calls.js).
 */
export const JOIN_EXISTING = {
  room: 'SELECT name, node, status, expires_at FROM conference_rooms WHERE name = ?',
  participant: `INSERT INTO room_users (room, identity, name, user_type)
    SELECT name, ?1, ?2, ?3 FROM conference_rooms WHERE name = ?4 AND status != 'closed' AND expires_at > ?5`,
}
