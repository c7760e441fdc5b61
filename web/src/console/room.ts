import { Api } from '../shared/api'
import { formValues, h, replace, time } from '../shared/dom'
import { drawMessages, joinRoom } from '../shared/room-socket'

interface Position {
  identity: string
  name?: string
  lat: number
  lng: number
  accuracy?: number
  source?: string
  at: string
}

/**
 * "Conference room" (staff): a participant token from `POST /user/generate`, the room's
 * Socket.IO namespace over the real socket.io-client — chat, positions as they arrive, who is
 * connected, recording state — and share links for callers (`POST /link/create`).
 */
export function roomView(api: Api, el: HTMLElement): () => void {
  const me = api.session!.user
  const status = h('p', { class: 'status', id: 'room-status' })
  const panel = h('div', { id: 'room-panel' })
  let leave: () => void = () => {}

  async function open(room: string): Promise<void> {
    leave()
    status.textContent = 'Getting a token…'
    const grant = await api.post<{ room: string; identity: string; token: string; url: string }>(
      '/user/generate',
      {
        room,
        userName: me.name,
        userType: me.role === 'admin' ? 'admin' : 'agent',
      },
    )
    const r = joinRoom(grant.room, grant.token)
    ;(window as unknown as { switchboard: Record<string, unknown> }).switchboard.room = r
    const log = h('div', { class: 'log', id: 'room-log' })
    const positions = new Map<string, Position>()
    const people = new Map<string, string>()
    const posBody = h('tbody', { id: 'positions' })
    const peopleEl = h('p', { class: 'status', id: 'room-people' })
    const recording = h('p', { id: 'recording' }, 'Recording: not recording')
    const conference = h('p', { class: 'status', id: 'conference' })
    const linkOut = h('p', { id: 'share-link' })
    const input = h('input', {
      id: 'room-composer',
      placeholder: 'Message to the room',
      autocomplete: 'off',
      style: 'flex:1',
    })

    const drawLog = () =>
      drawMessages(
        log,
        r.sorted(),
        (m) => m.sender.name || m.sender.identity,
        (m) => `#${m.seq} ${time(m.created_at)}`,
      )
    const drawPositions = () =>
      replace(
        posBody,
        [...positions.values()].map((p) =>
          h(
            'tr',
            { 'data-identity': p.identity },
            h('td', {}, p.name ?? p.identity),
            h('td', { class: 'lat' }, p.lat.toFixed(5)),
            h('td', { class: 'lng' }, p.lng.toFixed(5)),
            h('td', {}, p.accuracy !== undefined ? `±${Math.round(p.accuracy)} m` : ''),
            h('td', {}, time(p.at)),
          ),
        ),
      )
    const drawPeople = () =>
      (peopleEl.textContent = `Connected: ${[...people.values()].join(', ') || 'nobody else'}`)

    r.socket.on(
      'connect',
      () =>
        (status.textContent = `Connected to /${grant.room} as ${grant.identity}${r.socket.recovered ? ' (resumed)' : ''}`),
    )
    r.socket.on('disconnect', (reason) => (status.textContent = `Disconnected (${reason}); reconnecting…`))
    r.socket.on('connect_error', (err) => (status.textContent = `Refused: ${err.message}`))
    r.socket.on('chat-message', (m) => r.keep(m) && drawLog())
    r.socket.on('position', (p: Omit<Position, 'at'>) => {
      positions.set(p.identity, { ...p, at: new Date().toISOString() })
      drawPositions()
    })
    r.socket.on('user-connection', (u: { identity?: string; name?: string; socketId?: string }) => {
      if (u.socketId) people.set(u.socketId, u.name || u.identity || '?')
      drawPeople()
    })
    r.socket.on('user-disconnect', (u: { socketId?: string }) => {
      if (u.socketId) people.delete(u.socketId)
      drawPeople()
    })
    r.socket.on('room-record', (e: { status?: string }) => {
      recording.textContent = `Recording: ${e.status ?? 'changed'}`
      recording.dataset.status = e.status ?? ''
    })
    r.socket.on('conference-status', (e: { status?: string; reason?: string }) => {
      conference.textContent = `Room ${e.status ?? 'changed'}${e.reason ? ` (${e.reason})` : ''}`
    })
    r.socket.on('error', (e: { message?: string }) => (status.textContent = `Error: ${e.message}`))

    const record = (action: 'start' | 'stop') => async () => {
      try {
        const rec = await api.get<{ status: string }>(
          `/record/request?room=${encodeURIComponent(grant.room)}&action=${action}`,
        )
        recording.textContent = `Recording: ${rec.status}`
      } catch (e) {
        recording.textContent = `Recording: ${(e as Error).message}`
      }
    }
    replace(
      panel,
      h(
        'div',
        { class: 'grid' },
        h(
          'div',
          { class: 'card' },
          h('h2', {}, `Room ${grant.room}`),
          peopleEl,
          conference,
          recording,
          h(
            'div',
            { class: 'row' },
            h('button', { class: 'secondary', onclick: record('start') }, 'Start recording'),
            h('button', { class: 'secondary', onclick: record('stop') }, 'Stop'),
          ),
          h('hr'),
          h(
            'form',
            {
              id: 'share-form',
              onsubmit: async (e: Event) => {
                e.preventDefault()
                const v = formValues(e.target as HTMLFormElement)
                try {
                  const link = await api.post<{ linkID: string; url: string }>('/link/create', {
                    room: grant.room,
                    userType: 'caller',
                    ...(v.userName ? { userName: v.userName } : {}),
                    ...(v.phone ? { phone: v.phone } : {}),
                  })
                  const path = `/join/${link.linkID}`
                  replace(
                    linkOut,
                    'Share URL: ',
                    h('a', { href: path, target: '_blank', id: 'share-url' }, link.url),
                    h('br'),
                    h('small', {}, `(on this server: ${location.origin}${path})`),
                  )
                } catch (err) {
                  linkOut.textContent = (err as Error).message
                }
              },
            },
            h('h2', {}, 'Invite a caller'),
            h('label', {}, 'Caller’s name', h('input', { name: 'userName', placeholder: 'optional' })),
            h(
              'label',
              {},
              'Phone (the link is texted)',
              h('input', { name: 'phone', placeholder: 'optional, e.g. +15551234567' }),
            ),
            h('p', {}, h('button', { type: 'submit' }, 'Create link')),
            linkOut,
          ),
        ),
        h(
          'div',
          {},
          h(
            'div',
            { class: 'card' },
            h('h2', {}, 'Chat'),
            log,
            h(
              'form',
              {
                class: 'row',
                onsubmit: async (e: Event) => {
                  e.preventDefault()
                  const text = input.value.trim()
                  if (!text) return
                  input.value = ''
                  const ack = await r
                    .say(text)
                    .catch((err: Error) => ({ error: { message: err.message } }) as const)
                  if ('error' in ack && ack.error) status.textContent = `Not sent: ${ack.error.message}`
                },
              },
              input,
              h('button', { type: 'submit' }, 'Send'),
            ),
          ),
          h(
            'div',
            { class: 'card' },
            h('h2', {}, 'Positions'),
            h(
              'table',
              {},
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  h('th', {}, 'Who'),
                  h('th', {}, 'Lat'),
                  h('th', {}, 'Lng'),
                  h('th', {}, 'Accuracy'),
                  h('th', {}, 'At'),
                ),
              ),
              posBody,
            ),
          ),
        ),
      ),
    )
    drawPeople()
    leave = () => r.socket.disconnect()
  }

  replace(
    el,
    h(
      'form',
      {
        class: 'card row',
        id: 'room-form',
        onsubmit: (e: Event) => {
          e.preventDefault()
          void open(formValues(e.target as HTMLFormElement).room).catch(
            (err) => (status.textContent = err.message),
          )
        },
      },
      h(
        'label',
        {},
        'Room name',
        h('input', {
          name: 'room',
          required: true,
          pattern: '[A-Za-z0-9_\\-]{1,64}',
          placeholder: 'e.g. incident-42',
        }),
      ),
      h('button', { type: 'submit' }, 'Open room'),
      status,
    ),
    panel,
  )
  return () => leave()
}
