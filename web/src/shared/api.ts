/** What sign-in and refresh answer (and the console keeps in localStorage). */
export interface Session {
  access_token: string
  refresh_token: string
  user: { id: string; name: string; email?: string; role: string }
}

/** An API error: the HTTP status and the envelope's code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

const KEY = 'switchboard.session'

/**
 * Calls the Worker on the page's own origin: both envelopes (`{success,data|error}` and seed
 * 000's `{status,data,message}`) unwrapped to the data, errors thrown as ApiError. With a
 * session, sends its bearer and refreshes it once on a 401.
 */
export class Api {
  session: Session | undefined
  onSession: (s: Session | undefined) => void = () => {}

  constructor(
    readonly base = '',
    persist = true,
  ) {
    if (persist) {
      const raw = localStorage.getItem(KEY)
      this.session = raw ? (JSON.parse(raw) as Session) : undefined
      this.onSession = (s) =>
        s ? localStorage.setItem(KEY, JSON.stringify(s)) : localStorage.removeItem(KEY)
    }
  }

  setSession(s: Session | undefined): void {
    this.session = s
    this.onSession(s)
  }

  async request<T = any>(method: string, path: string, body?: unknown, retry = true): Promise<T> {
    const headers: Record<string, string> = {}
    if (body !== undefined) headers['content-type'] = 'application/json'
    if (this.session) headers.authorization = `Bearer ${this.session.access_token}`
    const res = await fetch(this.base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const payload = (await res.json().catch(() => ({}))) as Record<string, any>
    if (res.status === 401 && retry && this.session && (await this.refresh()))
      return this.request(method, path, body, false)
    if (!res.ok || payload.success === false || payload.status === 'FAIL') {
      const code = payload.error?.code ?? String(res.status)
      const message = payload.error?.message ?? payload.message ?? res.statusText
      throw new ApiError(res.status, code, message)
    }
    return ('data' in payload ? payload.data : payload) as T
  }

  get = <T = any>(path: string) => this.request<T>('GET', path)
  post = <T = any>(path: string, body: unknown = {}) => this.request<T>('POST', path, body)
  put = <T = any>(path: string, body: unknown = {}) => this.request<T>('PUT', path, body)
  patch = <T = any>(path: string, body: unknown = {}) => this.request<T>('PATCH', path, body)
  del = <T = any>(path: string) => this.request<T>('DELETE', path)

  async signIn(email: string, password: string): Promise<Session> {
    const s = await this.request<Session>('POST', '/api/v1/auth/login', { email, password }, false)
    this.setSession(s)
    return s
  }

  async register(name: string, email: string, password: string): Promise<Session> {
    const s = await this.request<Session>('POST', '/api/v1/auth/register', { name, email, password }, false)
    this.setSession(s)
    return s
  }

  /** A fresh access token for sockets (they cannot refresh by themselves). */
  async freshToken(): Promise<string> {
    if (!this.session) throw new ApiError(401, 'unauthorized', 'Sign in first')
    const exp = JSON.parse(
      atob(this.session.access_token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')),
    ).exp
    if (exp * 1000 - Date.now() < 30_000) await this.refresh()
    return this.session!.access_token
  }

  async refresh(): Promise<boolean> {
    if (!this.session) return false
    try {
      const s = await this.request<Omit<Session, 'user'> & { user?: Session['user'] }>(
        'POST',
        '/api/v1/auth/refresh',
        { refresh_token: this.session.refresh_token },
        false,
      )
      this.setSession({ ...this.session, ...s, user: s.user ?? this.session.user })
      return true
    } catch {
      this.setSession(undefined)
      return false
    }
  }

  async signOut(): Promise<void> {
    if (this.session)
      await this.request(
        'POST',
        '/api/v1/auth/logout',
        { refresh_token: this.session.refresh_token },
        false,
      ).catch(() => {})
    this.setSession(undefined)
  }
}

/** The `ws:`/`wss:` URL of a path on this origin. */
export const wsUrl = (path: string) =>
  `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`
