import { Room, RoomEvent, Track } from 'livekit-client'
import { h, replace } from './dom'

/** Whether something answers at a LiveKit URL (ws/wss → http/https), within `ms`. */
async function reachable(url: string, ms = 3000): Promise<boolean> {
  const http = url.replace(/^ws/, 'http')
  const ctrl = new AbortController()
  const timer = setTimeout(() => ctrl.abort(), ms)
  try {
    await fetch(http, { mode: 'no-cors', signal: ctrl.signal })
    return true
  } catch {
    return false
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Video through `livekit-client` when the room's LiveKit server answers; otherwise says plainly
 * that there is no video (chat and positions do not need it). `publish`: send camera and mic.
 */
export async function startVideo(
  el: HTMLElement,
  url: string,
  token: string,
  publish: boolean,
): Promise<() => void> {
  replace(el, h('p', { class: 'status', id: 'video-status' }, `Checking the video server at ${url}…`))
  if (!(await reachable(url))) {
    replace(
      el,
      h(
        'p',
        { class: 'status', id: 'video-status', 'data-video': 'unavailable' },
        `Video is not available: no LiveKit server answers at ${url}. Chat and location sharing work without it.`,
      ),
    )
    return () => {}
  }
  const room = new Room({ adaptiveStream: true, dynacast: true })
  const tiles = h('div', { class: 'row', id: 'video-tiles' })
  const status = h(
    'p',
    { class: 'status', id: 'video-status', 'data-video': 'connecting' },
    'Connecting video…',
  )
  replace(el, status, tiles)
  room.on(RoomEvent.TrackSubscribed, (track) => {
    if (track.kind === Track.Kind.Video || track.kind === Track.Kind.Audio) tiles.append(track.attach())
  })
  room.on(RoomEvent.TrackUnsubscribed, (track) => track.detach().forEach((e) => e.remove()))
  room.on(RoomEvent.Disconnected, () => (status.textContent = 'Video disconnected'))
  try {
    await room.connect(url, token)
    status.textContent = `Video connected (${room.remoteParticipants.size} other participant(s))`
    status.dataset.video = 'connected'
    if (publish)
      await room.localParticipant
        .enableCameraAndMicrophone()
        .catch((e) => (status.textContent += ` — camera/microphone: ${e.message}`))
  } catch (e) {
    status.textContent = `Video is not available: ${(e as Error).message}`
    status.dataset.video = 'unavailable'
  }
  return () => void room.disconnect()
}
