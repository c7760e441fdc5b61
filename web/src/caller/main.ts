import { Api, ApiError } from '../shared/api'
import { h, replace, time } from '../shared/dom'
import { drawMessages, joinRoom } from '../shared/room-socket'
import { startVideo } from '../shared/video'

/**
 * The caller's page, at the share URLs `/link/create` hands out (`/join/<linkID>`, and the
 * `/hls/` and `/car/` variants): opens the link (`GET /link/getdetail`), gets a token for it
 * with no account (`POST /user/joingenerate {linkID}`), shares the device's location
 * (`POST /link/update/latlng`, every position), chats with the staff in the room over the
 * room's Socket.IO namespace, and shows video when a LiveKit server is reachable.
 */

interface Grant {
  room: string
  identity: string
  token: string
  url: string
}

const [, kind, linkID] = location.pathname.split('/')
const api = new Api('', false)
const root = document.getElementById('app')!
const status = h('p', { class: 'status', id: 'caller-status' }, 'Opening your link…')
const locationEl = h(
  'p',
  { class: 'status', id: 'location' },
  kind === 'hls' ? '' : 'Waiting for your location…',
)
const video = h('div', { id: 'video' })
const log = h('div', { class: 'log', id: 'caller-log' })
const input = h('input', {
  id: 'caller-composer',
  placeholder: 'Write to the staff',
  autocomplete: 'off',
  style: 'flex:1',
})
const form = h('form', { class: 'row', id: 'caller-form' }, input, h('button', { type: 'submit' }, 'Send'))
const title = { join: 'Your call', hls: 'Live stream', car: 'Car tracking' }[kind] ?? 'Your call'

document.title = `Switchboard — ${title}`
replace(
  root,
  h('header', { class: 'bar' }, h('h1', {}, title)),
  h(
    'main',
    {},
    h('div', { class: 'card' }, status, locationEl),
    h('div', { class: 'card' }, h('h2', {}, 'Video'), video),
    kind === 'hls' ? null : h('div', { class: 'card' }, h('h2', {}, 'Chat with the staff'), log, form),
  ),
)

/** The grant of this link, kept for the tab: a one-time link gives one token, reloads reuse it. */
async function grantFor(id: string): Promise<Grant> {
  const kept = sessionStorage.getItem(`grant:${id}`)
  if (kept) return JSON.parse(kept) as Grant
  await api.get(`/link/getdetail?linkID=${encodeURIComponent(id)}`)
  const grant = await api.post<Grant>('/user/joingenerate', { linkID: id })
  sessionStorage.setItem(`grant:${id}`, JSON.stringify(grant))
  return grant
}

function shareLocation(): void {
  if (!('geolocation' in navigator)) {
    locationEl.textContent = 'This browser cannot share its location.'
    return
  }
  navigator.geolocation.watchPosition(
    async (p) => {
      const { latitude: lat, longitude: lng, accuracy } = p.coords
      try {
        await api.post('/link/update/latlng', { linkID, lat, lng, accuracy })
        locationEl.textContent = `Location shared: ${lat.toFixed(5)}, ${lng.toFixed(5)} (±${Math.round(accuracy)} m) at ${time(new Date().toISOString())}`
        locationEl.dataset.shared = 'true'
      } catch (e) {
        locationEl.textContent = `Could not send your location: ${(e as Error).message}`
      }
    },
    (e) =>
      (locationEl.textContent = `Location not shared: ${e.message}. Allow location access so the staff can find you.`),
    { enableHighAccuracy: true, maximumAge: 5000 },
  )
}

async function main(): Promise<void> {
  if (!linkID) {
    status.textContent = 'This page needs a link id: open the link you were sent.'
    return
  }
  let grant: Grant
  try {
    grant = await grantFor(linkID)
  } catch (e) {
    const why =
      e instanceof ApiError && e.status === 410
        ? 'This link can no longer be used'
        : 'This link cannot be opened'
    status.textContent = `${why}: ${(e as Error).message}`
    status.classList.add('error')
    return
  }
  status.textContent = `Connecting to the staff in room ${grant.room}…`
  if (kind !== 'hls') shareLocation()
  void startVideo(video, grant.url, grant.token, kind !== 'hls')
  if (kind === 'hls') {
    status.textContent = `Watching room ${grant.room}`
    return
  }
  const r = joinRoom(grant.room, grant.token)
  const draw = () =>
    drawMessages(
      log,
      r.sorted(),
      (m) => (m.sender.identity === grant.identity ? 'You' : m.sender.name || 'Staff'),
      (m) => time(m.created_at),
    )
  r.socket.on('connect', () => {
    status.textContent = `Connected: the staff in room ${grant.room} can see your messages and location.`
    status.dataset.connected = 'true'
  })
  r.socket.on('disconnect', () => (status.textContent = 'Connection lost; reconnecting…'))
  r.socket.on('connect_error', (e) => (status.textContent = `Cannot connect: ${e.message}`))
  r.socket.on('chat-message', (m) => r.keep(m) && draw())
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    const text = input.value.trim()
    if (!text) return
    input.value = ''
    const ack = await r.say(text).catch((err: Error) => ({ error: { message: err.message } }))
    if ('error' in ack && ack.error) status.textContent = `Not sent: ${ack.error.message}`
  })
}

void main()
