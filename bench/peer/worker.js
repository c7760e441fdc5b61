// The JSON chat protocol's peer (issue 15): a room on Cloudflare's PartyServer (npm `partyserver`,
// its Durable Object server base), written as PartyServer's own chat example is — hibernatable
// sockets, and `onMessage` → `this.broadcast(message)`: every frame from a sender goes, untouched,
// to every socket in its room (the sender's too). No auth, no parsing, no storage, no sequence
// numbers, no acks: what Switchboard's JSON chat does on top (a zod-checked frame, a SQLite append
// per message, the ack after the commit, the D1 index) is its own cost. Rooms are
// `/parties/chat/<room>` (PartyServer's routing); any other path answers `ok` (the bench's ready check).
import { routePartykitRequest, Server } from 'partyserver'
// Switchboard's own id generator: a reference sending "the same bytes" sends ids of the same length.
import { newId } from '../../src/worker/lib/ids.ts'
import { upgradeResponse } from '../../src/objects/upgrade-response.ts'

export class Chat extends Server {
  static options = { hibernate: true }

  onMessage(_connection, message) {
    this.broadcast(this.name.startsWith('contract~') ? contractFrame(this, message) : message)
  }
}

/**
 * Rooms named `contract~<room>` (the bench's `peer-party+contract-*`): PartyServer doing
 * Switchboard's wire work — the frame sent is the one Switchboard's JSON chat sends for a message
 * (seed 003's `new_message`, every field, ids, `seq` and timestamps filled in) instead of the
 * sender's frame untouched, and the sockets compress exactly when Switchboard's do (WS_COMPRESSION;
 * PartyServer's other rooms accept compression, as it ships). Nothing stored, nothing checked:
 * what those bytes alone cost PartyServer.
 */
function contractFrame(room, message) {
  const m = JSON.parse(message)
  const seq = (room.seq = (room.seq ?? 0) + 1)
  const id = newId()
  const at = new Date().toISOString()
  // One member, as the bench's senders are.
  const user = (room.user ??= newId())
  const data = {
    message_id: id,
    seq,
    content: m.content,
    message_type: 'text',
    files: [],
    user_uuid: user,
    user_fullname: 'Bench Member',
    user_email: 'bench-member@bench.local',
    created_at: at,
    reply_to: null,
    client_id: m.client_id,
    edited_at: null,
    deleted: false,
  }
  return JSON.stringify({
    type: 'new_message',
    room_id: m.room_id,
    seq,
    user_uuid: user,
    content: m.content,
    message_type: 'text',
    files: [],
    timestamp: at,
    message_id: id,
    client_id: m.client_id,
    reply_to: null,
    data,
  })
}

export default {
  async fetch(request, env) {
    const response = await routePartykitRequest(request, env)
    if (!response) return new Response('ok')
    if (response.webSocket && new URL(request.url).pathname.includes('/contract~'))
      return upgradeResponse(response.webSocket, env.WS_COMPRESSION === 'true')
    return response
  },
}
