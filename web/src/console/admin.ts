import { Api } from '../shared/api'
import { formValues, h, replace } from '../shared/dom'

interface AdminUser {
  id: string
  name: string
  email: string
  role: string
  status: string
  disabled: boolean
}

const ROLES = ['admin', 'agent', 'mentor', 'member']

/**
 * "Users" (admins): every user with role and disabled state (`GET /api/v1/users`, filtered by
 * text and role), a role picker (`PUT /api/v1/users/{id}/role`) and disable/enable
 * (`POST /api/v1/users/{id}/disable|enable`).
 */
export function adminView(api: Api, el: HTMLElement): () => void {
  const me = api.session!.user
  const body = h('tbody', { id: 'users' })
  const status = h('p', { class: 'status', id: 'users-status' })
  let filter = { q: '', role: '' }

  const act = async (what: Promise<AdminUser>, done: string) => {
    try {
      const u = await what
      status.textContent = `${u.name}: ${done}`
      await load()
    } catch (e) {
      status.textContent = (e as Error).message
    }
  }

  const row = (u: AdminUser) =>
    h(
      'tr',
      { 'data-user': u.id, 'data-disabled': String(u.disabled) },
      h('td', {}, u.name),
      h('td', {}, u.email),
      h(
        'td',
        {},
        h(
          'select',
          {
            class: 'role',
            'aria-label': `Role of ${u.name}`,
            disabled: u.id === me.id,
            onchange: (e: Event) =>
              void act(
                api.put<AdminUser>(`/api/v1/users/${u.id}/role`, {
                  role: (e.target as HTMLSelectElement).value,
                }),
                'role changed (applies at their next sign-in or token refresh)',
              ),
          },
          ROLES.map((r) => h('option', { value: r, selected: r === u.role }, r)),
        ),
      ),
      h('td', {}, u.disabled ? 'disabled' : u.status),
      h(
        'td',
        {},
        u.id === me.id
          ? null
          : h(
              'button',
              {
                class: 'secondary toggle',
                onclick: () =>
                  void act(
                    api.post<AdminUser>(`/api/v1/users/${u.id}/${u.disabled ? 'enable' : 'disable'}`),
                    u.disabled ? 'enabled' : 'disabled, signed out everywhere',
                  ),
              },
              u.disabled ? 'Enable' : 'Disable',
            ),
      ),
    )

  async function load(): Promise<void> {
    const q = new URLSearchParams({
      limit: '100',
      ...(filter.q ? { q: filter.q } : {}),
      ...(filter.role ? { role: filter.role } : {}),
    })
    try {
      const page = await api.get<{ users: AdminUser[]; total: number }>(`/api/v1/users?${q}`)
      replace(body, page.users.map(row))
      if (!status.textContent) status.textContent = `${page.total} user(s)`
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
          id: 'user-filter',
          onsubmit: (e: Event) => {
            e.preventDefault()
            const v = formValues(e.target as HTMLFormElement)
            filter = { q: v.q.trim(), role: v.role }
            status.textContent = ''
            void load()
          },
        },
        h('input', { name: 'q', placeholder: 'Name or email' }),
        h(
          'select',
          { name: 'role' },
          h('option', { value: '' }, 'any role'),
          ROLES.map((r) => h('option', { value: r }, r)),
        ),
        h('button', { type: 'submit' }, 'Filter'),
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
            h('th', {}, 'Email'),
            h('th', {}, 'Role'),
            h('th', {}, 'Status'),
            h('th', {}, ''),
          ),
        ),
        body,
      ),
    ),
  )
  void load()
  return () => {}
}
