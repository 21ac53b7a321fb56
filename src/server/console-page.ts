/**
 * `GET /`: a small page that lists the server's jobs from the API (no framework; the web console replaces it). The
 * token is typed into the page and kept in the browser's localStorage; the page sends it as a bearer token.
 */
export const CONSOLE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Riffle server</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 2rem; color: #1d232a; }
  table { border-collapse: collapse; margin-top: 1rem; }
  th, td { text-align: left; padding: .3rem .8rem; border-bottom: 1px solid #dde; }
  .succeeded { color: #137333; } .failed { color: #b3261e; } .running, .draining, .pending { color: #0b57d0; } .cancelled { color: #666; }
  #status { color: #666; margin-left: 1rem; }
</style>
</head>
<body>
<h1>Riffle server</h1>
<p>This page lists the jobs; the API is described at <a href="/openapi.json">/openapi.json</a> and metrics are at <a href="/metrics">/metrics</a>.</p>
<form id="login"><label>Token <input id="token" type="password" size="50" autocomplete="off"></label> <button>Use</button><span id="status"></span></form>
<table><thead><tr><th>job</th><th>pipeline</th><th>state</th><th>created</th><th>ended</th><th>elements read</th><th>reason</th></tr></thead><tbody id="jobs"></tbody></table>
<script>
const text = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const status = document.getElementById('status');
const input = document.getElementById('token');
input.value = localStorage.getItem('riffle.token') || '';
document.getElementById('login').addEventListener('submit', (e) => { e.preventDefault(); localStorage.setItem('riffle.token', input.value.trim()); load(); });
async function load() {
  const token = localStorage.getItem('riffle.token');
  if (!token) { status.textContent = 'enter a token (riffle server token create --role viewer)'; return; }
  try {
    const res = await fetch('/api/jobs', { headers: { authorization: 'Bearer ' + token } });
    const body = await res.json();
    if (!res.ok) { status.textContent = body.error ? body.error.message : res.statusText; return; }
    status.textContent = body.jobs.length + ' job(s), updated ' + new Date().toLocaleTimeString();
    document.getElementById('jobs').innerHTML = body.jobs.map((j) => '<tr><td>' + text(j.id) + '</td><td>' + text(j.pipeline) + '</td><td class="' + text(j.state) + '">' + text(j.state) +
      '</td><td>' + text(j.createdAt) + '</td><td>' + text(j.endedAt) + '</td><td>' + text(j.counts ? j.counts.elementsRead : '') + '</td><td>' + text(j.reason) + '</td></tr>').join('');
  } catch (e) { status.textContent = 'the server did not answer: ' + e.message; }
}
load();
setInterval(load, 3000);
</script>
</body>
</html>
`;
