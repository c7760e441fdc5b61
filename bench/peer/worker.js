// The JSON chat protocol's peer (issue 15): a room on Cloudflare's PartyServer (npm `partyserver`,
// its Durable Object server base), written as PartyServer's own chat example is — hibernatable
// sockets, and `onMessage` → `this.broadcast(message)`: every frame from a sender goes, untouched,
// to every socket in its room (the sender's too). No auth, no parsing, no storage, no sequence
// numbers, no acks: what Switchboard's JSON chat does on top (a zod-checked frame, a SQLite append
// per message, the ack after the commit, the D1 index) is its own cost. Rooms are
// `/parties/chat/<room>` (PartyServer's routing); any other path answers `ok` (the bench's ready check).
import { routePartykitRequest, Server } from 'partyserver'

export class Chat extends Server {
  static options = { hibernate: true }

  onMessage(_connection, message) {
    this.broadcast(message)
  }
}

export default {
  async fetch(request, env) {
    return (await routePartykitRequest(request, env)) ?? new Response('ok')
  },
}
