import { Api } from '../shared/api'
import { formValues, h, replace } from '../shared/dom'

interface User {
  id: string
  name: string
  role: string
  status: string
  last_seen: string | null
}

/**
 * "Users" (admins): users with their roles. Listed through `GET /api/v1/users/search` (name or
 * email contains the text; `@` lists everyone with an email, 50 at most) — the only user listing
 * the API has today; changing roles needs the admin user routes of issue 12.
 */
export function adminView(api: Api, el: HTMLElement): () => void {
  const body = h('tbody', { id: 'users' })
  const status = h('p', { class: 'status' })
  const search = async (q: string) => {
    try {
      const { users } = await api.get<{ users: User[] }>(
        `/api/v1/users/search?q=${encodeURIComponent(q)}&limit=50`,
      )
      status.textContent = `${users.length} user(s)`
      replace(
        body,
        users.map((u) =>
          h(
            'tr',
            { 'data-user': u.id },
            h('td', {}, u.name),
            h('td', { class: 'role' }, u.role),
            h('td', {}, u.status),
            h('td', {}, u.last_seen ?? ''),
          ),
        ),
      )
    } catch (e) {
      status.textContent = (e as Error).message
    }
  }
  replace(
    el,
    h(
      'div',
      { class: 'card' },
      h('h2', {}, 'Users and roles'),
      h(
        'form',
        {
          class: 'row',
          id: 'user-search',
          onsubmit: (e: Event) => {
            e.preventDefault()
            void search(formValues(e.target as HTMLFormElement).q)
          },
        },
        h('input', { name: 'q', value: '@', required: true, placeholder: 'Name or email' }),
        h('button', { type: 'submit' }, 'Search'),
      ),
      status,
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, 'Name'),
            h('th', {}, 'Role'),
            h('th', {}, 'Status'),
            h('th', {}, 'Last seen'),
          ),
        ),
        body,
      ),
      h(
        'p',
        { class: 'status' },
        'Roles are changed with the admin user routes (/api/v1/users…) when they are available.',
      ),
    ),
  )
  void search('@')
  return () => {}
}
