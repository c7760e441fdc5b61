// Renders /openapi.json with Swagger UI and /asyncapi.json with the AsyncAPI React component,
// both from bundles served beside this page (no CDN). Each bundle loads on first use.
const loaded = {}
function load(src) {
  return (loaded[src] ??= new Promise((resolve, reject) => {
    const s = document.createElement('script')
    s.src = src
    s.onload = resolve
    s.onerror = () => reject(new Error('Could not load ' + src))
    document.head.append(s)
  }))
}

const views = {
  async openapi(el) {
    await load('/reference/vendor/swagger-ui-bundle.js')
    window.swaggerUi = window.SwaggerUIBundle({
      url: '/openapi.json',
      domNode: el,
      filter: true,
      validatorUrl: null,
    })
  },
  async asyncapi(el) {
    await load('/reference/vendor/asyncapi-standalone.js')
    const doc = await (await fetch('/asyncapi.json')).json()
    window.AsyncApiStandalone.render({ schema: doc, config: { show: { sidebar: true } } }, el)
  },
}
const shown = {}

function show(name) {
  for (const key of Object.keys(views)) {
    document.getElementById(key).classList.toggle('hidden', key !== name)
    document.getElementById('tab-' + key).setAttribute('aria-selected', String(key === name))
  }
  if (!shown[name]) {
    const el = document.getElementById(name)
    shown[name] = views[name](el).catch((e) => (el.textContent = String(e)))
  }
  history.replaceState(null, '', '#' + name)
}

for (const key of Object.keys(views)) document.getElementById('tab-' + key).onclick = () => show(key)
show(location.hash === '#asyncapi' ? 'asyncapi' : 'openapi')
