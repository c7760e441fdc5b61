/**
 * The upgrade from HTTP long-polling to a WebSocket, as engine.io runs it: one explicit state per
 * polling session.
 *
 *   polling ──open──▶ probing ──probe──▶ probed ──upgrade──▶ upgraded
 *      ▲                 │                  │
 *      └──────fail───────┴───────fail───────┘
 *
 * - `open`: a WebSocket arrives naming the session (`?sid=`). Only a session still polling may be
 *   probed; any other WebSocket with that sid is accepted and closed at once, as socket.io does.
 * - `probe`: the WebSocket sent `2probe` and was answered `3probe`. From now on a waiting GET is
 *   released with a noop (after UPGRADE_NOOP_MS), so the client can pause polling.
 * - `upgrade`: the client's `5`. The polling queue moves to the WebSocket, a GET still waiting is
 *   answered with a noop, and the session lives on the WebSocket from here.
 * - `fail`: the probe closed, timed out (UPGRADE_TIMEOUT) or sent anything else: the polling
 *   session goes on as if no probe had come.
 */
export type UpgradeState = 'polling' | 'probing' | 'probed' | 'upgraded'
export type UpgradeInput = 'open' | 'probe' | 'upgrade' | 'fail'

const NEXT: Record<UpgradeState, Partial<Record<UpgradeInput, UpgradeState>>> = {
  polling: { open: 'probing' },
  probing: { probe: 'probed', fail: 'polling' },
  probed: { upgrade: 'upgraded', fail: 'polling' },
  upgraded: {},
}

/** The state after `input`, or undefined when the protocol does not allow it there. */
export function upgradeStep(state: UpgradeState, input: UpgradeInput): UpgradeState | undefined {
  return NEXT[state][input]
}

/** How long a WebSocket probe may take to complete an upgrade (socket.io's upgradeTimeout). */
export const UPGRADE_TIMEOUT = 10_000

/** How long a GET waits while an upgrade probe succeeded before it is released with a noop (socket.io: 100 ms). */
export const UPGRADE_NOOP_MS = 100
