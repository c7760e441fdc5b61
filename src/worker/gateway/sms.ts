import type { Context } from 'hono'
import { db } from '../db/client'
import type { AppEnv } from '../env'
import { success } from '../lib/envelope'
import { AppError } from '../lib/errors'
import type { CustomSmsBody } from '../schemas/links'
import { sendSms } from '../services/sms'
import type { z } from '@hono/zod-openapi'

export const SMS_DESCRIPTION =
  'Through the HTTP SMS adapter: with SMS_ENABLE off the message is only logged (status `logged`). ' +
  'A provider failure answers 502 (the attempt stays in the SMS history).'

/**
 * Seed 000's two free-text SMS routes (`POST /sms/custom`, `POST /upload/sms/send`): send through
 * services/sms.ts as the caller, 502 when the provider fails.
 */
export async function sendSmsResponse(c: Context<AppEnv>, body: z.infer<typeof CustomSmsBody>) {
  const row = await sendSms(db(c.env.DB), c.var.config, { ...body, createdBy: c.var.identity!.id })
  const result = { id: row.id, phone: row.phone, status: row.status, error: row.error }
  if (row.status === 'failed')
    throw new AppError('upstream_unavailable', `SMS not sent: ${row.error}`, result, 502)
  return success(
    c,
    result,
    row.status === 'logged' ? 'SMS disabled (SMS_ENABLE=false): logged, not sent' : 'sent',
  )
}
