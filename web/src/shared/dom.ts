/** Attributes for `h`: DOM properties and `on*` listeners; `class`, `for` and data-* as attributes. */
type Attrs = Record<string, unknown>
type Child = Node | string | number | null | undefined | false

/** Creates an element: `h('button', { onclick }, 'Send')`. No framework: the pages are small. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v as EventListener)
    else if (k === 'class' || k === 'for' || k.startsWith('data-') || k.startsWith('aria-') || k === 'role')
      el.setAttribute(k, String(v))
    else (el as unknown as Record<string, unknown>)[k] = v
  }
  append(el, ...children)
  return el
}

/** Appends children, skipping empty ones. */
export function append(el: Element, ...children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue
    el.append(c instanceof Node ? c : String(c))
  }
}

/** Replaces an element's children. */
export function replace(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren()
  append(el, ...children)
}

/** Reads a form's named fields as strings. */
export function formValues(form: HTMLFormElement): Record<string, string> {
  return Object.fromEntries([...new FormData(form)].map(([k, v]) => [k, String(v)]))
}

/** A short local time for a timestamp. */
export const time = (iso: string) =>
  new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' })
