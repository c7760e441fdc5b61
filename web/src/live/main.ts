import { Api, wsUrl } from '../shared/api'
import { formValues, h, replace } from '../shared/dom'
import { startVideo } from '../shared/video'

/**
 * The live-session page at invite links (`/live/<session_id>[?token=<invite>]`): signs in (the
 * console's session is shared), joins (`POST /api/v1/live/sessions/{id}/join`), follows the
 * session's event socket (who is watching, what the host changed) and shows the LiveKit room
 * when its server is reachable.
 */
const sessionId = location.pathname.split('/')[2]
const invite = new URLSearchParams(location.search).get('token') ?? undefined
const api = new Api()
const root = document.getElementById('app')!
const status = h('p', { class: 'status', id: 'live-status' })
const events = h('ul', { class: 'list', id: 'live-events' })
const viewers = h('p', { id: 'live-viewers' })
const video = h('div', { id: 'video' })

function signIn(): void {
  const error = h('p', { class: 'status error' })
  replace(
    root,
    h('header', { class: 'bar' }, h('h1', {}, 'Live session')),
    h(
      'main',
      {},
      h(
        'form',
        {
          class: 'card',
          id: 'live-login',
          onsubmit: async (e: Event) => {
            e.preventDefault()
            const v = formValues(e.target as HTMLFormElement)
            try {
              await api.signIn(v.email, v.password)
              void join()
            } catch (err) {
              error.textContent = (err as Error).message
            }
          },
        },
        h('h2', {}, 'Sign in to join'),
        h('label', {}, 'Email', h('input', { name: 'email', type: 'email', required: true })),
        h('label', {}, 'Password', h('input', { name: 'password', type: 'password', required: true })),
        h(
          'p',
          {},
          h('button', { type: 'submit' }, 'Sign in'),
          ' or ',
          h('a', { href: '/console/' }, 'create an account in the console'),
        ),
        error,
      ),
    ),
  )
}

async function join(): Promise<void> {
  if (!api.session) return signIn()
  replace(
    root,
    h(
      'header',
      { class: 'bar' },
      h('h1', { id: 'live-title' }, 'Live session'),
      h('span', { class: 'spacer' }),
      h('a', { href: '/console/' }, 'Console'),
    ),
    h(
      'main',
      {},
      h('div', { class: 'card' }, status, viewers),
      h('div', { class: 'card' }, h('h2', {}, 'Video'), video),
      h('div', { class: 'card' }, h('h2', {}, 'Events'), events),
    ),
  )
  try {
    const joined = await api.post<{
      access_token: string
      server_url: string
      role: string
      can_publish: boolean
    }>(`/api/v1/live/sessions/${sessionId}/join`, invite ? { invite_token: invite } : {})
    // A private session is visible once joined.
    const session = await api.get<{ title: string; status: string }>(`/api/v1/live/sessions/${sessionId}`)
    document.getElementById('live-title')!.textContent = session.title
    status.textContent = `Joined as ${joined.role} (session ${session.status})`
    status.dataset.role = joined.role
    follow()
    void startVideo(video, joined.server_url, joined.access_token, joined.can_publish)
  } catch (e) {
    status.textContent = `Cannot join: ${(e as Error).message}`
    status.classList.add('error')
  }
}

function follow(): void {
  void api.freshToken().then((token) => {
    const ws = new WebSocket(
      wsUrl(`/api/v1/live/sessions/${sessionId}/ws?token=${encodeURIComponent(token)}`),
    )
    ws.onmessage = (e) => {
      const f = JSON.parse(String(e.data))
      if (f.data?.viewers !== undefined) viewers.textContent = `Watching now: ${f.data.viewers}`
      const text =
        f.type === 'welcome'
          ? `You are ${f.data.role}; here: ${f.data.users.map((u: { name: string }) => u.name).join(', ')}`
          : f.type === 'presence'
            ? `${f.data.name} ${f.data.joined ? 'joined' : 'left'}`
            : f.type === 'session'
              ? `Session is ${f.data.status}`
              : f.type === 'session_ended'
                ? 'The session has ended'
                : f.type === 'kicked'
                  ? `${f.data.user_id} was removed`
                  : f.type === 'role_changed'
                    ? `${f.data.display_name ?? f.data.user_id} is now ${f.data.role}`
                    : f.type === 'recording'
                      ? `Recording ${f.data.status}`
                      : null
      if (text) events.prepend(h('li', { 'data-type': f.type }, text))
    }
    ws.onclose = (e) => {
      if (e.code === 4003) status.textContent = 'You were removed from this session'
      else if (e.code === 1000) status.textContent = 'The session has ended'
    }
  })
}

void join()
