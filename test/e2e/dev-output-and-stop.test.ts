import { describe, expect, it } from 'vitest'
import { canSeeProcesses, listening, stopDev, useDev } from './dev-process'

// What a person sees in the terminal of `npm run dev`, and Ctrl-C ending it (issue 16, items 7 and 10).
const dev = useDev([8860, 8870])

/** The JSON a Worker log line carries (wrangler may frame it, e.g. `▲ [WARNING] {…}`). */
const jsonOf = (line: string) => JSON.parse(line.slice(line.indexOf('{'), line.lastIndexOf('}') + 1))

const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 100))
}

describe('npm run dev output', () => {
  it('should start without a stack trace (no Request.cf fetch offline)', () => {
    expect(dev().output()).not.toMatch(/^\s+at /m)
    expect(dev().output()).not.toMatch(/Request\.cf/)
  })

  it('should log each request once, a failure with its error code and message', async () => {
    const path = `/api/v1/nothing-here-${Date.now().toString(36)}`
    const res = await fetch(dev().base + path, { headers: { 'x-request-id': 'dev-log-once' } })
    expect(res.status).toBe(404)
    await until(() => dev().output().includes('dev-log-once'))
    const lines = dev()
      .output()
      .split('\n')
      .filter((l) => l.includes(path))
    expect(lines).toHaveLength(1)
    const line = jsonOf(lines[0])
    expect(line).toMatchObject({
      level: 'warn',
      request_id: 'dev-log-once',
      method: 'GET',
      path,
      status: 404,
      error: { code: 'not_found', message: `No route for GET ${path}` },
    })
  })

  it('should carry the request id on the warning that no LiveKit server answers', async () => {
    const key = await fetch(`${dev().base}/auth/create`, { headers: { 'x-api-key': 'dev-service-key' } })
    const token = ((await key.json()) as { data: { token: string } }).data.token
    const room = `dev-log-${Date.now().toString(36)}`
    const res = await fetch(`${dev().base}/user/generate`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'x-request-id': 'dev-livekit-warn',
      },
      body: JSON.stringify({ room, userName: 'Ada', userType: 'agent' }),
    })
    expect(res.status).toBe(200)
    await until(() => /no LiveKit node reachable/.test(dev().output()), 15_000)
    const warning = dev()
      .output()
      .split('\n')
      .find((l) => l.includes('no LiveKit node reachable') && l.includes(room))
    expect(warning).toBeDefined()
    expect(jsonOf(warning!)).toMatchObject({
      level: 'warn',
      request_id: 'dev-livekit-warn',
      room,
    })
  })

  it.skipIf(!canSeeProcesses)(
    'should stop every process it started on Ctrl-C (SIGINT to the foreground process group)',
    async () => {
      const { left } = await stopDev(dev(), 'SIGINT', 'group')
      expect(left).toEqual([])
      expect(await listening(dev().port)).toBe(false)
    },
    30_000,
  )
})
