import type { Context } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { AppError } from './errors'

/**
 * Route files declare their response schemas for OpenAPI with `modernResponses`/`gatewayResponses`;
 * the handlers' return values are not matched against them by type (their status unions are too
 * wide for @hono/zod-openapi's RPC typing), so the envelope helpers return this.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type RouteResponse = any

/** Modern API (`/api/v1`, SPEC §3): `{success:true,data}` — plus `message` where a seed's contract has one (seed 004). */
export function ok<T>(
  c: Context,
  data: T,
  status: ContentfulStatusCode = 200,
  message?: string,
): RouteResponse {
  return c.json({ success: true as const, ...(message === undefined ? {} : { message }), data }, status)
}

/** Modern API error body: `{success:false,error:{code,message,details?}}`. */
export function modernError(err: AppError) {
  return {
    success: false as const,
    error: {
      code: err.code,
      message: err.message,
      ...(err.details === undefined ? {} : { details: err.details }),
    },
  }
}

/** Gateway API (seed 000, SPEC §4.2): `{status:"SUCCESS",message?,data?}`. */
export function success<T>(
  c: Context,
  data?: T,
  message?: string,
  status: ContentfulStatusCode = 200,
): RouteResponse {
  return c.json(
    {
      status: 'SUCCESS' as const,
      ...(message === undefined ? {} : { message }),
      ...(data === undefined ? {} : { data }),
    },
    status,
  )
}

/** Gateway API error body: `{status:"FAIL",message,data?}` where data carries the code and details. */
export function gatewayError(err: AppError) {
  return {
    status: 'FAIL' as const,
    message: err.message,
    data: { code: err.code, ...(err.details === undefined ? {} : { details: err.details }) },
  }
}

/** Which envelope a path answers with: everything outside `/api` speaks seed 000's. */
export const isModernPath = (path: string) => path.startsWith('/api/')
