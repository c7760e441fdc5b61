import { createExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { eq } from 'drizzle-orm'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { app } from '../../src/worker/app'
import { db } from '../../src/worker/db/client'
import { smsLogs } from '../../src/worker/db/schema'
import { json, mintToken } from '../helpers'

/** Calls the app with SMS sending switched on (a fresh env object gets its own validated config). */
async function callWithSms(
  path: string,
  body: unknown,
  vars: Record<string, string> = {},
  role: 'agent' | 'member' = 'agent',
) {
  const smsEnv = {
    ...env,
    SMS_ENABLE: 'true',
    SMS_API_URL: 'https://sms.test/send',
    SMS_API_KEY: 'k-123',
    ...vars,
  }
  const req = new Request(`http://localhost${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await mintToken(role)}` },
    body: JSON.stringify(body),
  })
  return app.fetch(req, smsEnv, createExecutionContext())
}

function stubProvider(answer: () => Response | Promise<Response>) {
  const calls: { url: string; init: RequestInit }[] = []
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    calls.push({ url: String(input), init: init ?? {} })
    return answer()
  })
  return calls
}

afterEach(() => vi.restoreAllMocks())

describe('SMS adapter with SMS_ENABLE on', () => {
  it('should POST {to, message} with the API key and record the SMS as sent', async () => {
    const calls = stubProvider(() => new Response('{"ok":true}', { status: 200 }))
    const res = await callWithSms('/sms/custom', { phone: '+66811111111', message: 'Help is coming' })
    expect(res.status).toBe(200)
    const data = (await json(res)).data
    expect(data.status).toBe('sent')
    expect(calls).toHaveLength(1)
    expect(calls[0].url).toBe('https://sms.test/send')
    expect(new Headers(calls[0].init.headers).get('authorization')).toBe('Bearer k-123')
    expect(JSON.parse(String(calls[0].init.body))).toEqual({ to: '+66811111111', message: 'Help is coming' })
    const row = await db(env.DB).select().from(smsLogs).where(eq(smsLogs.id, data.id)).get()
    expect(row!.status).toBe('sent')
  })

  it('should answer 502 when the provider fails, keeping the failed attempt in the history', async () => {
    stubProvider(() => new Response('quota exceeded', { status: 429 }))
    const res = await callWithSms('/sms/custom', { phone: '+66822222222', message: 'x' })
    expect(res.status).toBe(502)
    const body = await json(res)
    expect(body.status).toBe('FAIL')
    expect(body.message).toContain('SMS provider answered 429: quota exceeded')
    const row = await db(env.DB).select().from(smsLogs).where(eq(smsLogs.id, body.data.details.id)).get()
    expect(row).toMatchObject({ status: 'failed', error: 'SMS provider answered 429: quota exceeded' })
  })

  it('should record an unreachable provider as failed without failing link creation', async () => {
    stubProvider(() => Promise.reject(new TypeError('connection refused')))
    const res = await callWithSms('/link/create', {
      room: 'sms-down',
      userType: 'caller',
      phone: '0899999999',
    })
    expect(res.status).toBe(200)
    const data = (await json(res)).data
    expect(data.enabled).toBe(true)
    expect(data.sms.status).toBe('failed')
    expect(data.sms.error).toMatch(/unreachable.*connection refused/)
  })

  it('should fail (not send) when SMS_API_URL is unset', async () => {
    const calls = stubProvider(() => new Response('', { status: 200 }))
    const res = await callWithSms('/sms/custom', { phone: '+66833333333', message: 'x' }, { SMS_API_URL: '' })
    expect(res.status).toBe(502)
    expect((await json(res)).message).toContain('SMS_API_URL is not set')
    expect(calls).toHaveLength(0)
  })
})

describe('POST /upload/sms/send (seed 000 upload routes)', () => {
  it('should send through the same adapter and keep the room and sender in the history', async () => {
    const calls = stubProvider(() => new Response('{"ok":true}', { status: 200 }))
    const res = await callWithSms('/upload/sms/send', {
      phone: '+66844444444',
      message: 'Your video was received',
      room: 'upload-sms-1',
    })
    expect(res.status).toBe(200)
    const data = (await json(res)).data
    expect(data).toMatchObject({ phone: '+66844444444', status: 'sent', error: null })
    expect(JSON.parse(String(calls[0].init.body))).toEqual({
      to: '+66844444444',
      message: 'Your video was received',
    })
    const row = await db(env.DB).select().from(smsLogs).where(eq(smsLogs.id, data.id)).get()
    expect(row).toMatchObject({ status: 'sent', room: 'upload-sms-1' })
    expect(row!.createdBy).toMatch(/^t-agent-/)
  })

  it('should refuse a bad body with the offending fields, sending and recording nothing', async () => {
    const calls = stubProvider(() => new Response('', { status: 200 }))
    const before = (await db(env.DB).select().from(smsLogs).all()).length
    const res = await callWithSms('/upload/sms/send', { phone: 'not a phone', message: '  ' })
    expect(res.status).toBe(400)
    const paths = (await json(res)).data.details.fields.map((f: { path: string }) => f.path).sort()
    expect(paths).toEqual(['message', 'phone'])
    expect(calls).toHaveLength(0)
    expect((await db(env.DB).select().from(smsLogs).all()).length).toBe(before)
  })

  it('should answer 403 to a non-staff caller and send nothing', async () => {
    const calls = stubProvider(() => new Response('', { status: 200 }))
    const res = await callWithSms('/upload/sms/send', { phone: '+66855555555', message: 'x' }, {}, 'member')
    expect(res.status).toBe(403)
    expect(calls).toHaveLength(0)
  })
})
