import { describe, expect, it } from 'vitest'
import { homeFor } from '../../src/worker/routes/socketio'

const url = (q = '') => new URL(`http://x/socket.io/?EIO=4&transport=polling${q}`)

describe('homeFor (where a new Socket.IO session starts)', () => {
  it('should pick one of SOCKETIO_HOME_OBJECTS home objects of the location, at random', () => {
    const names = new Set(Array.from({ length: 200 }, () => homeFor(url(), 'AMS', 3).name))
    expect([...names].sort()).toEqual(['~AMS-0', '~AMS-1', '~AMS-2'])
    expect(new Set(Array.from({ length: 20 }, () => homeFor(url(), undefined, 1).name))).toEqual(
      new Set(['~local-0']),
    )
  })

  it('should start a hinted session in its room, and ignore a hint that is no room name', () => {
    expect(homeFor(url('&room=lobby-1'), 'AMS', 16)).toEqual({ kind: 'room', name: 'lobby-1' })
    expect(homeFor(url('&room=~AMS-1'), 'AMS', 16).name).toMatch(/^~AMS-([0-9]|1[0-5])$/)
  })
})
