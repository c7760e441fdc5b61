import { and, eq } from 'drizzle-orm'
import type { Db } from '../db/client'
import { chatMembers } from '../db/schema'

export type ChatRole = (typeof chatMembers.$inferSelect)['role']

/** A user's role in a chat, or undefined when they are not a member. */
export async function memberRole(db: Db, chatId: string, userId: string): Promise<ChatRole | undefined> {
  const row = await db
    .select({ role: chatMembers.role })
    .from(chatMembers)
    .where(and(eq(chatMembers.chatId, chatId), eq(chatMembers.userId, userId)))
    .get()
  return row?.role
}
