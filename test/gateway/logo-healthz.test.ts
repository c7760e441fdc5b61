import { beforeAll, describe, expect, it } from 'vitest'
import { call, json, mintToken } from '../helpers'

let admin: string
let member: string
beforeAll(async () => {
  ;[admin, member] = await Promise.all([mintToken('admin'), mintToken('member')])
})

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4])

function upload(name: string, token: string | undefined, type = 'image/png', bytes: Uint8Array = PNG) {
  const form = new FormData()
  form.append('logo', new File([bytes], 'logo.bin', { type }))
  return call(`/logo/${name}`, { method: 'PUT', token, body: form })
}

describe('/logo (seed 000 static path)', () => {
  it('should store a logo for an admin and serve it to anyone with its type', async () => {
    const res = await upload('service-1.png', admin)
    expect(res.status).toBe(200)
    expect((await json(res)).data).toEqual({
      name: 'service-1.png',
      url: 'http://localhost:8787/logo/service-1.png',
      content_type: 'image/png',
      size: PNG.length,
    })
    const got = await call('/logo/service-1.png')
    expect(got.status).toBe(200)
    expect(got.headers.get('content-type')).toBe('image/png')
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(PNG)
  })

  it('should replace a logo stored under the same name', async () => {
    await upload('swap.png', admin)
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 9])
    expect((await upload('swap.png', admin, 'image/jpeg', jpeg)).status).toBe(200)
    const got = await call('/logo/swap.png')
    expect(got.headers.get('content-type')).toBe('image/jpeg')
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(jpeg)
  })

  it('should answer 401 without a token, 403 for a member, 415 for SVG and 400 for a bad name', async () => {
    expect((await upload('x.png', undefined)).status).toBe(401)
    expect((await upload('x.png', member)).status).toBe(403)
    expect((await upload('x.svg', admin, 'image/svg+xml')).status).toBe(415)
    const bad = await upload('.hidden', admin)
    expect(bad.status).toBe(400)
    expect((await json(bad)).data.details.fields[0].path).toBe('name')
    expect((await call('/logo/x.png')).status).toBe(404)
  })
})

describe('GET /healthz (seed 004 health fields)', () => {
  it('should answer status ok, the environment and the CORS origins in effect, without an envelope', async () => {
    const res = await call('/healthz')
    expect(res.status).toBe(200)
    expect(await json(res)).toEqual({
      status: 'ok',
      message: 'Switchboard is running',
      port: '',
      environment: 'test',
      cors_origins: '*',
    })
  })

  it('should leave seed 000’s /health envelope as it was', async () => {
    const body = await json(await call('/health'))
    expect(body).toMatchObject({ status: 'SUCCESS', data: { service: 'switchboard', checks: { d1: 'ok' } } })
  })
})
