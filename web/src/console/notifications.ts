import { io } from 'socket.io-client'
import { Api } from '../shared/api'
import { formValues, h, replace, time } from '../shared/dom'

interface Note {
  id: string
  channel: string
  type: string
  title: string
  body: string | null
  read: boolean
  delivered: boolean
  created_at: string
}

/**
 * "Notifications" (staff): the `/notification` Socket.IO namespace — the feed (`all`), new ones
 * as they arrive (acknowledged, so they count as delivered), marking read (`read`) — and a form
 * to post one to the staff feed (`POST /api/v1/notifications`).
 */
export function notificationsView(api: Api, el: HTMLElement): () => void {
  const notes = new Map<string, Note>()
  const listEl = h('ul', { class: 'list', id: 'notes' })
  const status = h('p', { class: 'status', id: 'notes-status' }, 'Connecting…')
  let socket: ReturnType<typeof io> | undefined

  const draw = () =>
    replace(
      listEl,
      [...notes.values()]
        .sort((a, b) => b.created_at.localeCompare(a.created_at))
        .map((n) =>
          h(
            'li',
            { 'data-note': n.id, 'data-read': String(n.read) },
            h(
              'span',
              {},
              h('strong', {}, n.title),
              n.body ? ` — ${n.body}` : '',
              h('span', { class: 'meta' }, ` ${n.channel} · ${time(n.created_at)}`),
            ),
            n.read
              ? h('span', { class: 'status' }, 'read')
              : h(
                  'button',
                  {
                    class: 'secondary mark-read',
                    onclick: async () => {
                      const answer = await socket!.emitWithAck('read', { id: n.id })
                      if (answer?.error) status.textContent = answer.error.message
                      else (notes.set(n.id, answer as Note), draw())
                    },
                  },
                  'Mark read',
                ),
          ),
        ),
    )

  void api.freshToken().then((token) => {
    socket = io('/notification', { auth: { token } })
    socket.on('connect', async () => {
      status.textContent = 'Live'
      const all = (await socket!.emitWithAck('all')) as Note[]
      for (const n of all) notes.set(n.id, n)
      draw()
    })
    socket.on('connect_error', (e) => (status.textContent = `Refused: ${e.message}`))
    socket.on('new', (n: Note, ack?: () => void) => {
      ack?.()
      notes.set(n.id, n)
      draw()
    })
    socket.on('update', (n: Note) => {
      notes.set(n.id, n)
      draw()
    })
  })

  const form = h(
    'form',
    {
      class: 'card',
      id: 'note-form',
      onsubmit: async (e: Event) => {
        e.preventDefault()
        const f = e.target as HTMLFormElement
        const v = formValues(f)
        try {
          await api.post('/api/v1/notifications', {
            channel: 'broadcast',
            title: v.title,
            ...(v.body ? { body: v.body } : {}),
          })
          f.reset()
        } catch (err) {
          status.textContent = (err as Error).message
        }
      },
    },
    h('h2', {}, 'Notify the staff feed'),
    h(
      'div',
      { class: 'row' },
      h('input', { name: 'title', placeholder: 'Title', required: true }),
      h('input', { name: 'body', placeholder: 'Body (optional)', style: 'flex:1' }),
      h('button', { type: 'submit' }, 'Send'),
    ),
  )
  replace(el, form, h('div', { class: 'card' }, h('h2', {}, 'Feed'), status, listEl))
  return () => socket?.disconnect()
}
