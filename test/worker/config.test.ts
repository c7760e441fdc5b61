import { describe, expect, it } from 'vitest'
import { ConfigError, liveKitNodes, loadConfig } from '../../src/worker/config'

const base = {
  JWT_SECRET: 'x'.repeat(40),
  LIVEKIT_URL: 'http://lk.local',
  LIVEKIT_API_KEY: 'k',
  LIVEKIT_API_SECRET: 's',
}

const issuesOf = (env: object) => {
  try {
    loadConfig(env)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return (err as ConfigError).issues
  }
  throw new Error('expected a ConfigError')
}

describe('loadConfig', () => {
  it('should apply defaults when only the required secrets are given', () => {
    const config = loadConfig({ ...base })
    expect(config.ENVIRONMENT).toBe('production')
    expect(config.EGRESS_LIMIT).toBe(4)
    expect(config.ROOM_DAY_DEFAULT_TIMEOUT).toBe(86_400)
    expect(config.ALLOW_CREDENTIALS).toBe(false)
    expect(config.ALLOWED_ORIGINS).toEqual([])
    expect(config.WS_COMPRESSION).toBe(false)
    expect(loadConfig({ ...base, WS_COMPRESSION: 'true' }).WS_COMPRESSION).toBe(true)
  })

  it('should refuse SOCKETIO_CONFORMANCE in production and allow it elsewhere', () => {
    expect(issuesOf({ ...base, SOCKETIO_CONFORMANCE: 'true' })).toEqual([
      {
        setting: 'SOCKETIO_CONFORMANCE',
        message: expect.stringMatching(/must be false when ENVIRONMENT=production/),
      },
    ])
    const dev = loadConfig({ ...base, ENVIRONMENT: 'development', SOCKETIO_CONFORMANCE: 'true' })
    expect(dev.SOCKETIO_CONFORMANCE).toBe(true)
    expect(loadConfig({ ...base }).SOCKETIO_CONNECT_TIMEOUT).toBe(45_000)
  })

  it('should name a missing required secret', () => {
    const { JWT_SECRET: _, ...rest } = base
    const issues = issuesOf(rest)
    expect(issues).toEqual([{ setting: 'JWT_SECRET', message: 'is required' }])
  })

  it('should name every malformed value', () => {
    const issues = issuesOf({
      ...base,
      EGRESS_LIMIT: 'four',
      LIVEKIT_URL: 'not a url',
      ROOM_DAY_DEFAULT_TIMEOUT: '24 hours',
    })
    expect(issues.map((i) => i.setting).sort()).toEqual([
      'EGRESS_LIMIT',
      'LIVEKIT_URL',
      'ROOM_DAY_DEFAULT_TIMEOUT',
    ])
  })

  it('should reject a short JWT secret', () => {
    expect(issuesOf({ ...base, JWT_SECRET: 'short' })[0]).toEqual({
      setting: 'JWT_SECRET',
      message: 'must be at least 32 characters',
    })
  })

  it('should reject LIVEKIT_NODES that is not JSON or not a node list', () => {
    expect(issuesOf({ ...base, LIVEKIT_NODES: '{nope' })[0].setting).toBe('LIVEKIT_NODES')
    expect(issuesOf({ ...base, LIVEKIT_NODES: '{"name":"b"}' })).toEqual([
      { setting: 'LIVEKIT_NODES', message: 'must be an array' },
    ])
  })

  it('should name the missing field of each LIVEKIT_NODES entry', () => {
    expect(issuesOf({ ...base, LIVEKIT_NODES: '[{"name":"x"}]' })).toEqual([
      { setting: 'LIVEKIT_NODES[0].url', message: 'is required' },
      { setting: 'LIVEKIT_NODES[0].apiKey', message: 'is required' },
      { setting: 'LIVEKIT_NODES[0].apiSecret', message: 'is required' },
    ])
    const second = issuesOf({
      ...base,
      LIVEKIT_NODES:
        '[{"name":"a","url":"http://a","apiKey":"k","apiSecret":"s"},{"name":"b","url":"nope","apiKey":"k","apiSecret":"s"}]',
    })
    expect(second).toEqual([{ setting: 'LIVEKIT_NODES[1].url', message: 'must be a valid URL' }])
  })

  it('should list every problem at once, the rules between settings included', () => {
    const { LIVEKIT_URL: _, ...rest } = base
    const issues = issuesOf({
      ...rest,
      JWT_SECRET: 'short',
      EGRESS_LIMIT: 'four',
      SOCKETIO_CONFORMANCE: 'true',
      ALLOWED_ORIGINS: '*',
      ALLOW_CREDENTIALS: 'true',
    })
    expect(issues.map((i) => i.setting).sort()).toEqual([
      'ALLOWED_ORIGINS',
      'EGRESS_LIMIT',
      'JWT_SECRET',
      'LIVEKIT_URL',
      'SOCKETIO_CONFORMANCE',
    ])
    expect(() => loadConfig({ ...rest, JWT_SECRET: 'short' })).toThrow(
      'Invalid configuration: JWT_SECRET: must be at least 32 characters; LIVEKIT_URL: is required',
    )
  })

  it('should list the default node first, then LIVEKIT_NODES', () => {
    const nodes = liveKitNodes(
      loadConfig({
        ...base,
        LIVEKIT_NODES: '[{"name":"b","url":"http://b.local","apiKey":"kb","apiSecret":"sb"}]',
      }),
    )
    expect(nodes.map((n) => n.name)).toEqual(['default', 'b'])
    expect(nodes[0]).toEqual({ name: 'default', url: 'http://lk.local', apiKey: 'k', apiSecret: 's' })
  })

  it('should parse durations, lists and booleans', () => {
    const config = loadConfig({
      ...base,
      ROOM_DAY_DEFAULT_TIMEOUT: '30M',
      ALLOWED_ORIGINS: 'https://a.example, https://b.example',
      SMS_ENABLE: 'true',
    })
    expect(config.ROOM_DAY_DEFAULT_TIMEOUT).toBe(1800)
    expect(config.ALLOWED_ORIGINS).toEqual(['https://a.example', 'https://b.example'])
    expect(config.SMS_ENABLE).toBe(true)
  })

  it('should refuse a wildcard origin together with credentials', () => {
    const issues = issuesOf({ ...base, ALLOWED_ORIGINS: '*', ALLOW_CREDENTIALS: 'true' })
    expect(issues[0].setting).toBe('ALLOWED_ORIGINS')
    expect(issues[0].message).toMatch(/ALLOW_CREDENTIALS/)
  })

  it('should refuse seed 000 settings that have no implementation, naming each', () => {
    const issues = issuesOf({ ...base, JOIN_ROOM_REPEAT_DELAY: '5000', ENCODE_API: 'http://encode-api:5600' })
    expect(issues.map((i) => i.setting).sort()).toEqual(['ENCODE_API', 'JOIN_ROOM_REPEAT_DELAY'])
    expect(issues.every((i) => i.message.startsWith('is not supported'))).toBe(true)
    expect(loadConfig({ ...base, JOIN_ROOM_REPEAT_DELAY: '0', ENCODE_API: '' }).JOIN_ROOM_REPEAT_DELAY).toBe(
      0,
    )
  })

  it('should switch recording off with LIVEKIT_RECORDING_ENABLED=false', () => {
    expect(loadConfig({ ...base }).LIVEKIT_RECORDING_ENABLED).toBe(true)
    expect(loadConfig({ ...base, LIVEKIT_RECORDING_ENABLED: 'false' }).LIVEKIT_RECORDING_ENABLED).toBe(false)
  })
})
