import { Api } from '../shared/api'
import { formValues, h, replace, time } from '../shared/dom'
import { ChatConnection, type Message } from '../shared/json-chat'

interface ChatItem {
  id: string
  name: string | null
  code: string
  type: string
  unread_count: number
}

/** "Chats": my chats, a group to create or join by code, and one chat live over the JSON protocol. */
export function chatsView(api: Api, el: HTMLElement): () => void {
  const me = api.session!.user
  const list = h('ul', { class: 'list', id: 'chat-list' })
  const panel = h(
    'div',
    { class: 'card', id: 'chat-panel' },
    h('p', { class: 'status' }, 'Pick a chat, create a group or join one by its code.'),
  )
  const error = h('p', { class: 'status error', id: 'chats-error' })
  let open: { chat: ChatItem; conn: ChatConnection } | undefined

  const fail = (e: unknown) => (error.textContent = e instanceof Error ? e.message : String(e))

  async function refresh(): Promise<void> {
    const { chats } = await api.get<{ chats: ChatItem[] }>('/api/v1/chats')
    replace(
      list,
      chats.map((c) =>
        h(
          'li',
          {
            'data-chat': c.id,
            'aria-current': String(open?.chat.id === c.id),
            onclick: () => void show(c).catch(fail),
          },
          h('span', {}, c.name ?? '(direct)'),
          c.unread_count && open?.chat.id !== c.id ? h('span', { class: 'badge' }, c.unread_count) : null,
        ),
      ),
    )
  }

  async function show(chat: ChatItem): Promise<void> {
    open?.conn.close()
    const log = h('div', { class: 'log', id: 'chat-log' })
    const state = h('span', { class: 'status', id: 'chat-state' })
    const typingLine = h('p', { class: 'status', id: 'typing' })
    const membersEl = h('p', { class: 'status', id: 'members' })
    const input = h('input', { id: 'composer', placeholder: 'Message', autocomplete: 'off', style: 'flex:1' })
    const typing = new Map<string, string>()
    const presence = new Map<string, string>()
    const reads = new Map<string, number>()
    const names = new Map<string, string>()
    let shown: Message[] = []

    const { members } = await api.get<{
      members: { user_id: string; name: string; status: string; last_read_seq: number }[]
    }>(`/api/v1/chats/${chat.id}/members`)
    for (const m of members) {
      names.set(m.user_id, m.name)
      presence.set(m.user_id, m.status)
      if (m.user_id !== me.id) reads.set(m.user_id, m.last_read_seq)
    }
    const drawMembers = () =>
      replace(
        membersEl,
        'Members: ',
        [...names].flatMap(([id, name], i) => [
          i ? ', ' : '',
          h(
            'span',
            { 'data-user': id, 'data-status': presence.get(id) ?? 'offline' },
            `${name} (${presence.get(id) ?? 'offline'})`,
          ),
        ]),
      )
    const drawMessages = () => {
      const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 20
      replace(
        log,
        shown.map((m) => {
          const seenBy = [...reads].filter(([, seq]) => seq === m.seq).map(([id]) => names.get(id) ?? id)
          return h(
            'div',
            { class: `msg${m.deleted ? ' deleted' : ''}`, 'data-seq': m.seq, 'data-id': m.id },
            h('span', { class: 'who' }, m.senderName),
            h('span', { class: 'text' }, m.deleted ? 'message deleted' : m.content),
            h(
              'span',
              { class: 'meta' },
              `#${m.seq} ${time(m.createdAt)}${m.editedAt && !m.deleted ? ' (edited)' : ''}`,
            ),
            m.senderId === me.id && !m.deleted
              ? [
                  h('button', { class: 'link edit', onclick: () => edit(m) }, 'edit'),
                  h('button', { class: 'link delete', onclick: () => conn.remove(m.id) }, 'delete'),
                ]
              : null,
            seenBy.length ? h('span', { class: 'meta seen' }, `seen by ${seenBy.join(', ')}`) : null,
          )
        }),
      )
      if (atBottom) log.scrollTop = log.scrollHeight
    }
    const edit = (m: Message) => {
      const content = prompt('Edit message', m.content)
      if (content && content !== m.content) conn.edit(m.id, content)
    }

    const conn = new ChatConnection(api, chat.id, {
      messages(all) {
        shown = all
        drawMessages()
        if (document.visibilityState === 'visible') conn.markRead()
      },
      typing(who, name, on) {
        if (on) typing.set(who, name)
        else typing.delete(who)
        typingLine.textContent = typing.size ? `${[...typing.values()].join(', ')} typing…` : ''
      },
      presence(who, status) {
        presence.set(who, status)
        if (!names.has(who))
          void api
            .get<{ members: { user_id: string; name: string }[] }>(`/api/v1/chats/${chat.id}/members`)
            .then(({ members: all }) => {
              for (const m of all) names.set(m.user_id, m.name)
              drawMembers()
            })
        drawMembers()
      },
      read(who, seq) {
        if (who === me.id) return
        reads.set(who, seq)
        drawMessages()
      },
      state(s, detail) {
        state.textContent = detail ?? s
        state.dataset.state = s
      },
      error: fail,
    })
    open = { chat, conn }
    ;(window as unknown as { switchboard: Record<string, unknown> }).switchboard.chat = conn

    let typingOn = false
    let typingTimer: ReturnType<typeof setTimeout> | undefined
    input.addEventListener('input', () => {
      if (!typingOn) conn.typing((typingOn = true))
      clearTimeout(typingTimer)
      typingTimer = setTimeout(() => conn.typing((typingOn = false)), 2000)
    })
    const form = h(
      'form',
      {
        class: 'row',
        id: 'composer-form',
        onsubmit: (e: Event) => {
          e.preventDefault()
          const text = input.value.trim()
          if (!text) return
          conn.send(text)
          input.value = ''
          clearTimeout(typingTimer)
          if (typingOn) conn.typing((typingOn = false))
        },
      },
      input,
      h('button', { type: 'submit' }, 'Send'),
    )
    replace(
      panel,
      h(
        'div',
        { class: 'row' },
        h('h2', { id: 'chat-title' }, chat.name ?? 'Direct chat'),
        h('span', { class: 'spacer' }),
        state,
      ),
      h('p', { class: 'status' }, 'Code to join: ', h('code', { id: 'chat-code' }, chat.code)),
      membersEl,
      log,
      typingLine,
      form,
    )
    drawMembers()
    await conn.start()
    void refresh()
  }

  const create = h(
    'form',
    {
      class: 'row',
      id: 'new-group',
      onsubmit: async (e: Event) => {
        e.preventDefault()
        const form = e.target as HTMLFormElement
        try {
          const chat = await api.post<ChatItem>('/api/v1/chats', {
            type: 'group',
            name: formValues(form).name,
          })
          form.reset()
          await refresh()
          await show(chat)
        } catch (err) {
          fail(err)
        }
      },
    },
    h('input', { name: 'name', placeholder: 'New group name', required: true, style: 'flex:1' }),
    h('button', { type: 'submit' }, 'Create'),
  )
  const join = h(
    'form',
    {
      class: 'row',
      id: 'join-code',
      onsubmit: async (e: Event) => {
        e.preventDefault()
        const form = e.target as HTMLFormElement
        try {
          const chat = await api.post<ChatItem>('/api/v1/chats/join', { code: formValues(form).code })
          form.reset()
          await refresh()
          await show(chat)
        } catch (err) {
          fail(err)
        }
      },
    },
    h('input', { name: 'code', placeholder: 'Code (6 letters)', required: true, style: 'flex:1' }),
    h('button', { type: 'submit' }, 'Join'),
  )
  const onVisible = () => document.visibilityState === 'visible' && open?.conn.markRead()
  document.addEventListener('visibilitychange', onVisible)
  replace(
    el,
    h(
      'div',
      { class: 'grid' },
      h('div', { class: 'card' }, h('h2', {}, 'My chats'), list, h('hr'), create, join, error),
      panel,
    ),
  )
  void refresh().catch(fail)
  const timer = setInterval(() => void refresh().catch(() => {}), 10_000)
  return () => {
    clearInterval(timer)
    document.removeEventListener('visibilitychange', onVisible)
    open?.conn.close()
  }
}
