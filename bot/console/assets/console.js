// Escalation Desk console: live updates and running clocks on top of pages that work without it.
// Updates arrive as server-sent events from /v1/events (no polling); on each, the page fetches itself
// again and swaps in the parts marked data-live-region, leaving forms that are being filled in alone.
'use strict';
(function () {
  const body = document.body;
  const serverNow = Number(body.dataset.now || 0);
  const loadedAt = Date.now() / 1000;
  const now = () => serverNow + (Date.now() / 1000 - loadedAt);

  function formatDuration(s) {
    s = Math.max(0, Math.floor(s));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (h > 0) return h + ' h ' + m + ' min';
    if (m > 0) return m + ' min ' + (sec < 10 ? '0' : '') + sec + ' s';
    return sec + ' s';
  }
  function tickClocks() {
    for (const el of document.querySelectorAll('time.clock[data-due]')) {
      const left = Number(el.dataset.due) - now();
      el.textContent = left >= 0 ? formatDuration(left) + ' left' : 'overdue by ' + formatDuration(-left);
      el.classList.toggle('late', left < 0);
    }
  }
  setInterval(tickClocks, 1000);
  tickClocks();

  // "Acting as" switches as soon as a person is chosen; the Switch button remains for keyboards without script.
  for (const select of document.querySelectorAll('select[data-autosubmit]')) {
    select.addEventListener('change', () => select.form.submit());
    const button = select.form.querySelector('button');
    if (button) button.hidden = true;
  }

  if (!('live' in body.dataset) || !window.EventSource) return;
  let pending = null, refreshing = false, again = false;
  async function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    try {
      const res = await fetch(location.href, { headers: { 'Accept': 'text/html' }, cache: 'no-store' });
      if (res.ok) {
        const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
        const fresh = doc.querySelectorAll('[data-live-region]');
        const current = document.querySelectorAll('[data-live-region]');
        if (fresh.length === current.length) {
          current.forEach((el, i) => {
            if (el.innerHTML !== fresh[i].innerHTML) {
              el.innerHTML = fresh[i].innerHTML;
              el.classList.remove('updated'); void el.offsetWidth; el.classList.add('updated');
            }
          });
          const fn = Number(doc.body.dataset.now || 0);
          if (fn) { body.dataset.now = fn; }
          tickClocks();
          body.dataset.updatedAt = String(Date.now());
          document.dispatchEvent(new CustomEvent('desk:updated'));
        }
      }
    } catch (e) { /* the next event tries again */ }
    refreshing = false;
    if (again) { again = false; refresh(); }
  }
  function schedule() {
    if (pending) return;
    pending = setTimeout(() => { pending = null; refresh(); }, 100);
  }
  const events = new EventSource('/v1/events');
  for (const name of ['escalation', 'message', 'rota']) events.addEventListener(name, schedule);
  events.addEventListener('reload', () => location.reload());
  events.addEventListener('open', () => { body.dataset.liveConnected = 'true'; });
})();
