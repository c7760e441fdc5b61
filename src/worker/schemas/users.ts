import { z } from '@hono/zod-openapi'
import { SearchTerm } from './common'

export const UserStatus = z.enum(['online', 'offline', 'away', 'dnd'])

export const PublicUser = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.enum(['admin', 'agent', 'mentor', 'member']),
    status: UserStatus,
    avatar_url: z.string().nullable(),
    bio: z.string().nullable(),
    last_seen: z.string().nullable(),
  })
  .openapi('User')

export const Profile = PublicUser.extend({ email: z.string(), created_at: z.string() }).openapi('Profile')

export const UpdateProfileBody = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    avatar_url: z.string().url().max(2048).nullable().optional(),
    bio: z.string().max(1000).nullable().optional(),
  })
  .refine((v) => Object.keys(v).length > 0, { message: 'at least one of name, avatar_url, bio is required' })
  .openapi('UpdateProfileRequest')

export const UpdateStatusBody = z.object({ status: UserStatus }).openapi('UpdateStatusRequest')

export const SearchQuery = z.object({
  q: SearchTerm(100),
  limit: z.coerce.number().int().min(1).max(50).default(20),
})
