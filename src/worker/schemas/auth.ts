import { z } from '@hono/zod-openapi'

const email = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ message: 'must be a valid email address' }))

export const RegisterBody = z
  .object({
    email,
    password: z.string().min(8, 'must be at least 8 characters').max(256),
    name: z.string().trim().min(1, 'is required').max(100),
  })
  .openapi('RegisterRequest')

export const LoginBody = z
  .object({ email, password: z.string().min(1, 'is required').max(256) })
  .openapi('LoginRequest')

export const RefreshBody = z.object({ refresh_token: z.string().min(16).max(200) }).openapi('RefreshRequest')

export const LogoutBody = z
  .object({ refresh_token: z.string().min(16).max(200).optional() })
  .openapi('LogoutRequest')

export const AuthUser = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    role: z.enum(['admin', 'agent', 'mentor', 'member']),
  })
  .openapi('AuthUser')

export const Session = z
  .object({
    user: AuthUser,
    access_token: z.string(),
    refresh_token: z.string(),
    expires_in: z.number().int().openapi({ description: 'Access token lifetime in seconds' }),
  })
  .openapi('Session')

export const Me = AuthUser.extend({ status: z.enum(['online', 'offline', 'away', 'dnd']) }).openapi('Me')

/** Seed 000 `POST /auth/verifyuser`: staff email as `username`. */
export const VerifyUserBody = z
  .object({ username: email, password: z.string().min(1, 'is required').max(256) })
  .openapi('VerifyUserRequest')

export const ServiceToken = z
  .object({ token: z.string(), expires_in: z.number().int() })
  .openapi('ServiceToken')
