import { Api, wsUrl } from '../shared/api'
import { formValues, h, replace, time } from '../shared/dom'

interface LiveChatSession {
  id: string
  customer_id: string
  agent_id: string | null
  subject: string | null
  status: 'open' | 'closed'
  created_at: string
}

interface LiveChatMessage {
  id: string
  seq: number
  user_type: string
  name: string
  message: string
  created_at: string
}

/**
 * "Live chat" (seed 004): customers open a support session; agents and admins see the open ones
 * and take one. The session runs over `/ws/:session_id/:user_id/:user_type`, resuming with
 * `since` after a dropped connection.
 */
export function liveChatView(api: Api, el: HTMLElement): () => void {
  const me = api.session!.user
  const isAgent = me.role === 'agent' || me.role === 'admin'
  const list = h('ul', { class: 'list', id: 'livechat-list' })
  const panel = h(
    'div',
    { class: 'card', id: 'livechat-panel' },
    h(
      'p',
      { class: 'status' },
      isAgent ? 'Pick an open session to answer it.' : 'Start a support chat, or pick one of yours.',
    ),
  )
  const error = h('p', { class: 'status error' })
  let stop: () => void = () => {}

  async function refresh(): Promise<void> {
    const { sessions } = await api.get<{ sessions: LiveChatSession[] }>(
      `/api/v1/livechat/sessions${isAgent ? '?status=open' : ''}`,
    )
    replace(
      list,
      sessions.map((s) =>
        h(
          'li',
          { 'data-session': s.id, onclick: () => connect(s) },
          h('span', {}, s.subject || '(no subject)'),
          h('span', { class: 'meta' }, `${s.status} · ${time(s.created_at)}`),
        ),
      ),
    )
  }

  function connect(s: LiveChatSession): void {
    stop()
    const type = s.customer_id === me.id ? 'customer' : 'agent'
    const messages = new Map<number, LiveChatMessage>()
    let lastSeq = 0
    let closed = false
    let ws: WebSocket | undefined
    const log = h('div', { class: 'log', id: 'livechat-log' })
    const state = h('span', { class: 'status', id: 'livechat-state' })
    const typingLine = h('p', { class: 'status', id: 'livechat-typing' })
    const input = h('input', {
      id: 'livechat-composer',
      placeholder: 'Message',
      autocomplete: 'off',
      style: 'flex:1',
    })
    const draw = () =>
      replace(
        log,
        [...messages.values()]
          .sort((a, b) => a.seq - b.seq)
          .map((m) =>
            h(
              'div',
              { class: 'msg', 'data-seq': m.seq },
              h('span', { class: 'who' }, `${m.name} (${m.user_type})`),
              h('span', { class: 'text' }, m.message),
              h('span', { class: 'meta' }, time(m.created_at)),
            ),
          ),
      )
    const open = async () => {
      const token = await api.freshToken()
      const socket = new WebSocket(
        wsUrl(`/ws/${s.id}/${me.id}/${type}?token=${encodeURIComponent(token)}&since=${lastSeq}`),
      )
      ws = socket
      socket.onopen = () => (state.textContent = `connected as ${type}`)
      socket.onmessage = (e) => {
        const f = JSON.parse(String(e.data))
        if (f.type === 'new_message') {
          if (!messages.has(f.data.seq)) messages.set(f.data.seq, f.data)
          lastSeq = Math.max(lastSeq, f.data.seq)
          draw()
        } else if (f.type === 'typing')
          typingLine.textContent = f.data.is_typing ? `the ${f.data.user_type} is typing…` : ''
        else if (f.type === 'user_connected' || f.type === 'user_disconnected')
          state.textContent = `connected as ${type} · customer ${f.data.status.customer_connected ? 'online' : 'away'}, agent ${f.data.status.agent_connected ? 'online' : 'away'}`
        else if (f.type === 'session_closed') {
          closed = true
          state.textContent = `session closed (${f.data.reason})`
        } else if (f.type === 'error') error.textContent = `${f.code}: ${f.message}`
      }
      socket.onclose = () => {
        if (ws !== socket || closed) return
        state.textContent = 'connection lost; reconnecting…'
        setTimeout(() => void open(), 1000)
      }
    }
    stop = () => {
      closed = true
      ws?.close(1000)
    }
    replace(
      panel,
      h(
        'div',
        { class: 'row' },
        h('h2', {}, s.subject || 'Live chat'),
        h('span', { class: 'spacer' }),
        state,
      ),
      log,
      typingLine,
      h(
        'form',
        {
          class: 'row',
          onsubmit: (e: Event) => {
            e.preventDefault()
            const text = input.value.trim()
            if (!text || ws?.readyState !== WebSocket.OPEN) return
            ws.send(
              JSON.stringify({
                type: 'send_message',
                data: { message: text, client_id: crypto.randomUUID() },
              }),
            )
            ws.send(JSON.stringify({ type: 'typing_stop' }))
            input.value = ''
          },
        },
        input,
        h('button', { type: 'submit' }, 'Send'),
        h(
          'button',
          {
            type: 'button',
            class: 'secondary',
            onclick: async () => {
              await api
                .post(`/api/v1/livechat/sessions/${s.id}/close`)
                .catch((err) => (error.textContent = err.message))
              void refresh()
            },
          },
          'Close session',
        ),
      ),
    )
    input.addEventListener(
      'input',
      () => ws?.readyState === WebSocket.OPEN && ws.send(JSON.stringify({ type: 'typing_start' })),
    )
    void open()
  }

  const start = isAgent
    ? null
    : h(
        'form',
        {
          class: 'row',
          id: 'livechat-start',
          onsubmit: async (e: Event) => {
            e.preventDefault()
            const f = e.target as HTMLFormElement
            try {
              const s = await api.post<LiveChatSession>('/api/v1/livechat/sessions', {
                subject: formValues(f).subject || undefined,
              })
              f.reset()
              await refresh()
              connect(s)
            } catch (err) {
              error.textContent = (err as Error).message
            }
          },
        },
        h('input', { name: 'subject', placeholder: 'What do you need help with?', style: 'flex:1' }),
        h('button', { type: 'submit' }, 'Start'),
      )
  replace(
    el,
    h(
      'div',
      { class: 'grid' },
      h('div', { class: 'card' }, h('h2', {}, isAgent ? 'Open sessions' : 'My sessions'), list, start, error),
      panel,
    ),
  )
  void refresh().catch((e) => (error.textContent = e.message))
  const timer = setInterval(() => void refresh().catch(() => {}), 5000)
  return () => {
    clearInterval(timer)
    stop()
  }
}
