import { Api, ApiError } from '../shared/api'
import { formValues, h, replace } from '../shared/dom'
import { adminView } from './admin'
import { chatsView } from './chats'
import { liveChatView } from './livechat'
import { notificationsView } from './notifications'
import { roomView } from './room'

/** A console tab: its label, who sees it, and how to draw it (returning a cleanup). */
interface Tab {
  id: string
  label: string
  show(api: Api): boolean
  render(api: Api, el: HTMLElement): () => void
}

const STAFF = ['admin', 'agent']
const TABS: Tab[] = [
  { id: 'chats', label: 'Chats', show: () => true, render: chatsView },
  { id: 'livechat', label: 'Live chat', show: () => true, render: liveChatView },
  {
    id: 'room',
    label: 'Conference room',
    show: (a) => STAFF.includes(a.session!.user.role),
    render: roomView,
  },
  {
    id: 'notifications',
    label: 'Notifications',
    show: (a) => STAFF.includes(a.session!.user.role),
    render: notificationsView,
  },
  { id: 'users', label: 'Users', show: (a) => a.session!.user.role === 'admin', render: adminView },
]

const api = new Api()
const root = document.getElementById('app')!
let cleanup: () => void = () => {}

/** For tests and debugging: the console's API client and the view's cleanup. */
;(window as unknown as { switchboard: unknown }).switchboard = { api }

function draw(): void {
  cleanup()
  cleanup = () => {}
  document.title = 'Switchboard console'
  if (!api.session) return replace(root, header(), h('main', {}, signIn()))
  const tabs = TABS.filter((t) => t.show(api))
  const wanted = location.hash.slice(1)
  const current = tabs.find((t) => t.id === wanted) ?? tabs[0]
  const body = h('div', { id: `view-${current.id}` })
  replace(
    root,
    header(),
    h(
      'main',
      {},
      h(
        'nav',
        { class: 'tabs', role: 'tablist' },
        tabs.map((t) =>
          h(
            'button',
            {
              role: 'tab',
              id: `tab-${t.id}`,
              'aria-selected': String(t === current),
              onclick: () => (location.hash = t.id),
            },
            t.label,
          ),
        ),
      ),
      body,
    ),
  )
  cleanup = current.render(api, body)
}

function header(): HTMLElement {
  const s = api.session
  return h(
    'header',
    { class: 'bar' },
    h('h1', {}, 'Switchboard console'),
    h('span', { class: 'spacer' }),
    s ? h('span', { id: 'whoami' }, `${s.user.name} (${s.user.role})`) : null,
    s
      ? h(
          'button',
          { class: 'secondary', id: 'sign-out', onclick: async () => (await api.signOut(), draw()) },
          'Sign out',
        )
      : null,
    h('a', { href: '/reference/' }, 'API reference'),
  )
}

function signIn(): HTMLElement {
  const status = h('p', { class: 'status error', id: 'auth-error' })
  const submit = (mode: 'login' | 'register') => async (e: Event) => {
    e.preventDefault()
    const v = formValues(e.target as HTMLFormElement)
    try {
      if (mode === 'login') await api.signIn(v.email, v.password)
      else await api.register(v.name, v.email, v.password)
      draw()
    } catch (err) {
      status.textContent = err instanceof ApiError ? err.message : String(err)
    }
  }
  return h(
    'div',
    { class: 'grid' },
    h(
      'form',
      { class: 'card', id: 'login-form', onsubmit: submit('login') },
      h('h2', {}, 'Sign in'),
      h(
        'label',
        {},
        'Email',
        h('input', { name: 'email', type: 'email', required: true, autocomplete: 'username' }),
      ),
      h(
        'label',
        {},
        'Password',
        h('input', { name: 'password', type: 'password', required: true, autocomplete: 'current-password' }),
      ),
      h('p', {}, h('button', { type: 'submit' }, 'Sign in')),
      h('p', { class: 'status' }, 'npm run dev prints the development admin’s email and password.'),
    ),
    h(
      'form',
      { class: 'card', id: 'register-form', onsubmit: submit('register') },
      h('h2', {}, 'Create an account'),
      h('label', {}, 'Name', h('input', { name: 'name', required: true })),
      h('label', {}, 'Email', h('input', { name: 'email', type: 'email', required: true })),
      h(
        'label',
        {},
        'Password (8 characters or more)',
        h('input', {
          name: 'password',
          type: 'password',
          required: true,
          minLength: 8,
          autocomplete: 'new-password',
        }),
      ),
      h('p', {}, h('button', { type: 'submit' }, 'Register')),
      status,
    ),
  )
}

window.addEventListener('hashchange', draw)
draw()
