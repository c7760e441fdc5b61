import type { Env } from '../env'

/** A page of a room's chat log (oldest first) and the cursor for the page before it. */
export async function roomChatHistory(env: Env, room: string, before: number | undefined, limit: number) {
  const messages = await env.CONFERENCE_ROOM.getByName(room).chatHistory(before, limit, room)
  return { room, messages, next_before: messages.length === limit ? messages[0].seq : null }
}

/** How many messages a reader who saw up to `since` has not seen, and the newest one. */
export async function roomChatNotification(env: Env, room: string, since: number) {
  return { room, ...(await env.CONFERENCE_ROOM.getByName(room).chatSummary(since, room)) }
}
