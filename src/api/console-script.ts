/** Where the console's one script is served from (same origin: the Content-Security-Policy allows only that). */
export const CONSOLE_SCRIPT_PATH = '/console/console.js';

/** How often a campaign page asks for fresh figures. */
export const LIVE_POLL_MS = 2000;

/**
 * The console's script, plain ES2020 with no build step. Two jobs:
 * - every `<time data-local>` is rewritten in the browser's own time zone, with the zone named;
 * - an element with `data-live="<url>"` polls that JSON (`{ state, fields, widths }`) and writes
 *   each field into the element whose `data-testid` is the key, so counts move without a reload;
 *   forms with `data-when="running paused"` show only in those states.
 * - a form with `data-upload` (the new-campaign form) sends its file as the body of a POST to its
 *   action (text/csv, the other fields in the query string, the CSRF token in x-csrf-token) and
 *   shows the answer: the server's HTML, every value in it escaped there, or an error's message.
 * The pages work without it: times stay in UTC (named so) and figures are those of the load.
 */
export const CONSOLE_SCRIPT = `'use strict';
(function () {
  var zoned = new Intl.DateTimeFormat(undefined, {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
    second: '2-digit', hour12: false, timeZoneName: 'short'
  });
  function localTimes(root) {
    root.querySelectorAll('time[data-local]').forEach(function (el) {
      var t = Date.parse(el.getAttribute('datetime'));
      if (!isNaN(t)) { el.textContent = zoned.format(new Date(t)); el.title = new Date(t).toISOString(); }
    });
  }
  function byId(id) { return document.querySelector('[data-testid="' + CSS.escape(id) + '"]'); }
  function showForState(state) {
    document.querySelectorAll('[data-when]').forEach(function (el) {
      el.hidden = el.getAttribute('data-when').split(' ').indexOf(state) === -1;
    });
  }
  function apply(data) {
    Object.keys(data.fields || {}).forEach(function (k) { var el = byId(k); if (el) el.textContent = data.fields[k]; });
    Object.keys(data.widths || {}).forEach(function (k) { var el = byId(k); if (el) el.style.width = data.widths[k]; });
    if (data.state) {
      var st = byId('state');
      if (st) { st.textContent = data.state; st.className = 'state ' + data.state; }
      showForState(data.state);
    }
    var live = document.querySelector('[data-live]');
    if (live) live.setAttribute('data-updated', String(Date.now()));
  }
  function poll(url) {
    fetch(url, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) apply(data); })
      .catch(function () { /* the next poll tries again */ })
      .then(function () { setTimeout(function () { poll(url); }, ${LIVE_POLL_MS}); });
  }
  function uploadQuery(form) {
    var q = new URLSearchParams();
    ['name', 'trunk', 'callerId', 'country', 'maxAttempts', 'column'].forEach(function (k) {
      var el = form.elements.namedItem(k);
      if (el && el.value.trim() !== '') q.set(k, el.value.trim());
    });
    var start = form.elements.namedItem('windowStart'), end = form.elements.namedItem('windowEnd');
    if (start && end && start.value && end.value) {
      q.set('window', start.value + '-' + end.value);
      var days = [];
      form.querySelectorAll('input[name="days"]:checked').forEach(function (el) { days.push(el.value); });
      if (days.length > 0) q.set('days', days.join(','));
    }
    var paused = form.elements.namedItem('paused');
    if (paused && paused.checked) q.set('paused', 'true');
    return q;
  }
  function upload(form, out) {
    var file = form.elements.namedItem('file').files[0];
    if (!file) { out.textContent = 'Choose a CSV file first.'; return; }
    var button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    out.textContent = 'Uploading ' + file.name + '…';
    fetch(form.getAttribute('action') + '?' + uploadQuery(form).toString(), {
      method: 'POST', credentials: 'same-origin', cache: 'no-store', body: file,
      headers: { 'content-type': 'text/csv', 'x-csrf-token': form.elements.namedItem('csrf').value }
    })
      .then(function (r) {
        return r.text().then(function (text) {
          if ((r.headers.get('content-type') || '').indexOf('text/html') === 0) { out.innerHTML = text; return; }
          var message = text;
          try { message = JSON.parse(text).message || text; } catch (e) { /* not JSON: shown as it came */ }
          out.textContent = 'Refused (' + r.status + '): ' + message;
          out.setAttribute('data-status', String(r.status));
        });
      })
      .catch(function (e) { out.textContent = 'Upload failed: ' + e.message; })
      .then(function () { button.disabled = false; });
  }
  document.addEventListener('DOMContentLoaded', function () {
    localTimes(document);
    document.querySelectorAll('form[data-upload]').forEach(function (form) {
      form.addEventListener('submit', function (ev) {
        ev.preventDefault();
        upload(form, byId('create-result'));
      });
    });
    var live = document.querySelector('[data-live]');
    if (live) setTimeout(function () { poll(live.getAttribute('data-live')); }, ${LIVE_POLL_MS});
  });
})();
`;
