/**
 * The API reference page at `/docs`: a self-contained HTML page (no CDN, so it works offline and
 * under a strict CSP) that reads `/openapi.json` and lists every operation with its parameters,
 * request body and responses.
 */
export function docsPage(specUrl: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Switchboard API reference</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2330;background:#f7f8fa}
header{background:#1d2330;color:#fff;padding:16px 24px}header h1{margin:0;font-size:20px}
main{max-width:1000px;margin:0 auto;padding:16px 24px}
input{width:100%;padding:8px;font-size:15px;margin:8px 0 16px;box-sizing:border-box}
h2{border-bottom:1px solid #ccd;padding-bottom:4px;margin-top:28px}
details{background:#fff;border:1px solid #dde;border-radius:6px;margin:6px 0;padding:6px 10px}
summary{cursor:pointer}.m{display:inline-block;min-width:58px;font-weight:700;font-family:monospace}
.get{color:#0a7}.post{color:#06c}.put{color:#c70}.patch{color:#a5c}.delete{color:#c33}
code,pre{font-family:ui-monospace,monospace;font-size:13px}pre{background:#f1f3f6;padding:8px;overflow:auto}
</style></head>
<body><header><h1>Switchboard API reference</h1><div id="info"></div></header>
<main><input id="filter" placeholder="Filter by path, tag or summary" aria-label="Filter operations">
<div id="ops">Loading ${specUrl}…</div></main>
<script>
const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
// Inline #/components/... references so each operation reads on its own (cycles stay as refs).
const deref = (spec, node, seen = []) => {
  if (Array.isArray(node)) return node.map((n) => deref(spec, n, seen));
  if (!node || typeof node !== 'object') return node;
  if (typeof node.$ref === 'string' && node.$ref.startsWith('#/') && !seen.includes(node.$ref)) {
    const target = node.$ref.slice(2).split('/').reduce((o, k) => (o ? o[k] : undefined), spec);
    return target ? deref(spec, target, [...seen, node.$ref]) : node;
  }
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, deref(spec, v, seen)]));
};
const show = (spec, value) => esc(JSON.stringify(deref(spec, value), null, 2));
fetch(${JSON.stringify(specUrl)}).then((r) => r.json()).then((spec) => {
  document.getElementById('info').textContent = spec.info.title + ' ' + spec.info.version;
  const byTag = {};
  for (const [path, item] of Object.entries(spec.paths || {})) {
    for (const [method, op] of Object.entries(item)) {
      const tag = (op.tags && op.tags[0]) || 'Other';
      (byTag[tag] ||= []).push({ path, method, op });
    }
  }
  const render = (q) => Object.keys(byTag).sort().map((tag) => {
    const ops = byTag[tag].filter(({ path, op }) => !q || (tag + path + (op.summary || '')).toLowerCase().includes(q));
    if (!ops.length) return '';
    return '<h2>' + esc(tag) + '</h2>' + ops.map(({ path, method, op }) =>
      '<details class="op" data-path="' + esc(path) + '"><summary><span class="m ' + method + '">' + method.toUpperCase() +
      '</span> <code>' + esc(path) + '</code> — ' + esc(op.summary) + '</summary>' +
      (op.description ? '<p>' + esc(op.description) + '</p>' : '') +
      (op.parameters ? '<h4>Parameters</h4><pre>' + show(spec, op.parameters) + '</pre>' : '') +
      (op.requestBody ? '<h4>Request body</h4><pre>' + show(spec, op.requestBody.content) + '</pre>' : '') +
      '<h4>Responses</h4><pre>' + show(spec, op.responses) + '</pre></details>').join('');
  }).join('');
  const ops = document.getElementById('ops');
  ops.innerHTML = render('');
  document.getElementById('filter').addEventListener('input', (e) => { ops.innerHTML = render(e.target.value.toLowerCase()); });
}).catch((e) => { document.getElementById('ops').textContent = 'Could not load the spec: ' + e; });
</script></body></html>`
}
