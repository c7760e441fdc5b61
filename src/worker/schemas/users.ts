import { z } from '@hono/zod-openapi'
import { SearchTerm } from './common'
import { USER_ROLES } from '../lib/identity'

export const UserStatus = z.enum(['online', 'offline', 'away', 'dnd'])

/** SPEC §3 roles. */
export const UserRole = z.enum(USER_ROLES)

export const PublicUser = z
  .object({
    id: z.string(),
    name: z.string(),
    role: UserRole,
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

/** A user as an admin sees them. */
export const AdminUser = Profile.extend({
  disabled: z.boolean(),
  disabled_at: z.string().nullable(),
}).openapi('AdminUser')

export const UserListQuery = z.object({
  role: UserRole.optional(),
  disabled: z.enum(['true', 'false']).optional(),
  q: SearchTerm(100).optional().openapi({ description: 'Part of the name or email' }),
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(200).default(50),
})

export const UserList = z
  .object({
    users: z.array(AdminUser),
    total: z.number().int(),
    page: z.number().int(),
    limit: z.number().int(),
  })
  .openapi('UserList')

export const SetRoleBody = z.object({ role: UserRole }).openapi('SetRoleRequest')
