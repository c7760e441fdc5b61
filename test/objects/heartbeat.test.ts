import { describe, expect, it, vi } from 'vitest'
import { Heartbeat, PING_SLOTS, nextSlot, pinged } from '../../src/objects/socketio/heartbeat'
import type { SessionState } from '../../src/objects/socketio/session'
import type { WebSocketTransport } from '../../src/objects/socketio/transport'
import type { Config } from '../../src/worker/config'

const INTERVAL = 400
const TIMEOUT = 300
const SLOT = INTERVAL / PING_SLOTS
const config = () =>
  ({
    SOCKETIO_PING_INTERVAL: INTERVAL,
    SOCKETIO_PING_TIMEOUT: TIMEOUT,
    SOCKETIO_CONNECT_TIMEOUT: 45_000,
  }) as Config

/** The simulated time the fake sessions see. */
const clock = { now: 0 }

/** A WebSocket session as the heartbeat sees it: its state, when it got pings, whether it answers them. */
function session(eid: string, connectedAt: number, answers = true) {
  const s = {
    state: { id: eid, eid, connectedAt, nsps: { '/': { sid: eid, d: {} } } } as SessionState,
    eid,
    pings: [] as number[],
    answers,
    closed: undefined as string | undefined,
    send: (frames: string[]) => frames.includes('2') && s.pings.push(clock.now),
    save: (state: SessionState) => (s.state = state),
  }
  return s
}
type Fake = ReturnType<typeof session>

function kv(): SyncKvStorage {
  const m = new Map<string, unknown>()
  return {
    get: (k: string) => m.get(k),
    put: (k: string, v: unknown) => m.set(k, v),
  } as unknown as SyncKvStorage
}

/** Runs the heartbeat's alarm from `start` to `end`, as an object would: each tick at `next()`; pongs come 5 ms after a ping. */
function run(hb: Heartbeat, sessions: Fake[], start: number, end: number) {
  const open = () => sessions.filter((s) => !s.closed) as unknown as WebSocketTransport[]
  clock.now = start
  for (;;) {
    const next = hb.next(open(), clock.now)
    if (next > end) return clock.now
    clock.now = Math.max(clock.now, next)
    const before = sessions.map((s) => s.pings.length)
    hb.tick(open(), clock.now)
    vi.spyOn(Date, 'now').mockReturnValue(clock.now + 5)
    sessions.forEach((s, i) => {
      if (s.answers && s.pings.length > before[i]!) hb.pong(s as unknown as WebSocketTransport)
    })
    vi.restoreAllMocks()
  }
}

describe('Heartbeat', () => {
  it('should ping each session first an interval after its own open, whoever else the object holds, then with the object round, never later than an interval', () => {
    const closed: string[] = []
    const hb = new Heartbeat(kv(), config, (s, why) => closed.push(`${s.eid} ${why}`))
    const a = session('a', 10_000)
    const b = session('b', 10_130) // opened while a was 130 ms into its interval
    const c = session('c', 10_395) // opened 5 ms before a's first ping
    run(hb, [a, b, c], 10_000, 12_000)
    expect(closed).toEqual([])
    for (const s of [a, b, c]) {
      const age = s.pings.map((t) => t - s.state.connectedAt)
      expect(age[0]).toBeLessThanOrEqual(INTERVAL)
      expect(age[0]).toBeGreaterThan(INTERVAL - SLOT)
      for (let i = 1; i < age.length; i++) {
        expect(age[i]! - age[i - 1]!).toBeLessThanOrEqual(INTERVAL)
        expect(age[i]! - age[i - 1]!).toBeGreaterThan(0)
      }
      expect(s.pings.length).toBeGreaterThanOrEqual(4)
    }
    // Not pinged on a's round: c's first ping is not 5 ms after its open.
    expect(c.pings[0]! - c.state.connectedAt).toBeGreaterThan(INTERVAL - SLOT)
    // After their first pings they share the object's round: one wake an interval for all three.
    const later = (s: Fake) => s.pings.slice(1).filter((t) => t > c.pings[0]!)
    expect(later(a)).toEqual(later(c))
    expect(later(b)).toEqual(later(c))
    expect(later(a).length).toBeGreaterThanOrEqual(2)
    for (let i = 1; i < later(a).length; i++) expect(later(a)[i]! - later(a)[i - 1]!).toBe(INTERVAL)
  })

  it('should close a session that leaves its ping unanswered past the timeout, and only that one', () => {
    const closed: string[] = []
    const hb = new Heartbeat(kv(), config, (s, why) => {
      closed.push(`${s.eid} ${why}`)
      ;(s as unknown as Fake).closed = why
    })
    const a = session('a', 20_000)
    const mute = session('mute', 20_100, false)
    run(hb, [a, mute], 20_000, 21_000)
    expect(closed).toEqual(['mute ping timeout'])
    expect(mute.pings).toHaveLength(1)
    expect(a.pings.length).toBeGreaterThanOrEqual(2)
    expect(a.closed).toBeUndefined()
  })

  it('should keep its rounds across a hibernation: a new instance still closes the session that did not answer', () => {
    const store = kv()
    const closed: string[] = []
    const first = new Heartbeat(store, config, () => closed.push('first'))
    const mute = session('mute', 30_000, false)
    run(first, [mute], 30_000, 30_400) // pinged at its slot, then the object hibernates
    expect(mute.pings).toHaveLength(1)
    const woken = new Heartbeat(store, config, (s, why) => closed.push(`${s.eid} ${why}`))
    const sessions = [mute] as unknown as WebSocketTransport[]
    expect(woken.next(sessions, 30_401)).toBe(mute.pings[0]! + TIMEOUT)
    woken.tick(sessions, mute.pings[0]! + TIMEOUT)
    expect(closed).toEqual(['mute ping timeout'])
  })

  it('should ping at once a session whose slot passed while the object had no rounds (rounds stored in an older shape are dropped)', () => {
    const store = kv()
    store.put('sio:pings', [39_000, 39_300])
    const hb = new Heartbeat(store, config, () => {})
    const old = session('old', 35_000)
    const sessions = [old] as unknown as WebSocketTransport[]
    expect(hb.next(sessions, 40_010)).toBe(40_010)
    clock.now = 40_010
    hb.tick(sessions, 40_010)
    expect(old.pings).toHaveLength(1)
  })

  it('should place slots: the first slot, then round slots (multiples of PING_SLOTS) after it', () => {
    expect(PING_SLOTS).toBe(8)
    expect(pinged(10, 0, 9)).toBe(false)
    expect(pinged(10, 9, 10)).toBe(true)
    expect(pinged(10, 10, 15)).toBe(false)
    expect(pinged(10, 15, 16)).toBe(true)
    expect(pinged(10, 16, 23)).toBe(false)
    expect(pinged(10, 23, 24)).toBe(true)
    expect(pinged(16, 10, 15)).toBe(false)
    expect(pinged(16, 15, 16)).toBe(true) // its first slot is a round slot: pinged once
    expect(pinged(16, 16, 23)).toBe(false)
    expect(nextSlot(10, 3)).toBe(10)
    expect(nextSlot(10, 10)).toBe(16)
    expect(nextSlot(10, 15)).toBe(16)
    expect(nextSlot(10, 16)).toBe(24)
  })
})
