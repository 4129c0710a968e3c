// ballotsafe kiosk: live updates over server-sent events, print button. No build step, no libraries.
(function () {
  'use strict';

  function text(el, value) {
    if (el && el.textContent !== value) el.textContent = value;
  }

  function formatCount(n) {
    return Number(n).toLocaleString('en-US');
  }
  // The browser's copy of daemon/core/format.ts formatBytes (decimal units); format.test.ts keeps them equal.
  function formatBytes(b) {
    if (!isFinite(b) || b < 0) return '–';
    if (b === 1) return '1 byte';
    var units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
    var v = b, u = 0;
    while (v >= 1000 && u < units.length - 1) { v /= 1000; u++; }
    if (v >= 999.5 && u < units.length - 1) { v /= 1000; u++; }
    return v.toFixed(u === 0 || v >= 99.95 ? 0 : 1) + ' ' + units[u];
  }
  function formatDuration(s) {
    if (s === null || s === undefined || !isFinite(s) || s < 0) return 'working it out…';
    if (s < 60) return Math.max(1, Math.round(s)) + ' s';
    var m = Math.round(s / 60);
    return m < 60 ? m + ' min' : Math.floor(m / 60) + ' h ' + (m % 60) + ' min';
  }
  var phases = {
    preflight: 'Checking the drives',
    writing: 'Writing files to both drives',
    syncing: 'Flushing to the drives',
    verifying: 'Reading back and verifying',
    manifests: 'Writing manifests and signature',
    done: 'Finished'
  };
  var driveStates = { writing: 'Working', verified: 'Verified', failed: 'Failed' };

  // Replace <main> with a fresh copy of this page, unless the user is in the middle of something.
  var refreshing = false;
  function refreshMain() {
    if (refreshing) return;
    var active = document.activeElement;
    if (active && (active.tagName === 'INPUT' || active.tagName === 'TEXTAREA')) return;
    refreshing = true;
    // X-Background-Refresh: this is not the user at work, so it does not hold off the idle logout.
    fetch(location.href, { headers: { Accept: 'text/html', 'X-Background-Refresh': '1' }, credentials: 'same-origin' })
      .then(function (r) {
        if (r.redirected && r.url.indexOf('/login') >= 0) { location.href = r.url; return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, 'text/html');
        var fresh = doc.getElementById('main');
        var current = document.getElementById('main');
        if (fresh && current) current.replaceWith(fresh);
        var freshTabs = doc.querySelector('nav.tabs');
        var tabs = document.querySelector('nav.tabs');
        if (freshTabs && tabs) tabs.replaceWith(freshTabs);
      })
      .catch(function () {})
      .then(function () { refreshing = false; });
  }

  function showSnapshot(view) {
    var box = document.getElementById('snapshot-state');
    if (!box) return;
    if (box.getAttribute('data-state') !== view.state) { refreshMain(); return; }
    var p = view.progress;
    if (view.state !== 'running' || !p) return;
    // Two passes, two bars (as daemon/web/snapshotProgress.ts): written, then read back and checked.
    function pct(done, total, filesDone) {
      var v = total > 0 ? Math.floor((100 * done) / total) : p.filesTotal > 0 ? Math.floor((100 * filesDone) / p.filesTotal) : 0;
      return Math.min(100, v);
    }
    function bar(id, value) {
      var el = document.getElementById(id);
      if (el) { el.value = value; el.textContent = value + '%'; }
    }
    bar('snapshot-progress', pct(p.bytesDone, p.bytesTotal, p.filesDone));
    bar('readback-progress', pct(p.bytesVerified || 0, p.bytesTotal, p.filesVerified || 0));
    text(box.querySelector('[data-field="phase"]'), phases[p.phase] || p.phase);
    text(box.querySelector('[data-field="files"]'), formatCount(p.filesDone) + ' of ' + formatCount(p.filesTotal) + ' files');
    text(box.querySelector('[data-field="readback"]'), p.phase === 'preflight' || p.phase === 'writing' ? 'starts when writing ends' : formatCount(p.filesVerified || 0) + ' of ' + formatCount(p.filesTotal) + ' files');
    text(box.querySelector('[data-field="bytes"]'), formatBytes(p.bytesDone) + ' of ' + formatBytes(p.bytesTotal));
    text(box.querySelector('[data-field="rate"]'), p.bytesPerSecond > 0 ? formatBytes(p.bytesPerSecond) + '/s' : '–');
    text(box.querySelector('[data-field="left"]'), formatDuration(p.secondsLeft));
    (p.perDrive || []).forEach(function (d) {
      var card = box.querySelector('[data-drive="' + d.role + '"]');
      if (!card) return;
      card.className = 'drive-card ' + d.state;
      text(card.querySelector('[data-field="drive-' + d.role + '"]'), driveStates[d.state] || d.state);
    });
  }

  function connect() {
    if (!document.body.classList.contains('live') || typeof EventSource === 'undefined') return;
    var banner = document.getElementById('connection');
    var source = new EventSource('/api/events');
    // Offline, a green "safe" verdict would be a guess: the offline class hides it (style.css).
    source.addEventListener('open', function () { if (banner) banner.hidden = true; document.body.classList.remove('offline'); });
    source.addEventListener('error', function () { if (banner) banner.hidden = false; document.body.classList.add('offline'); });
    source.addEventListener('hello', function (e) { showSnapshot(JSON.parse(e.data).snapshot); });
    source.addEventListener('snapshot', function (e) { showSnapshot(JSON.parse(e.data)); });
    source.addEventListener('changed', function () { refreshMain(); });
    source.addEventListener('logout', function () { source.close(); location.href = '/login'; });
  }

  document.addEventListener('click', function (e) {
    var t = e.target;
    if (t && t.closest && t.closest('[data-print]')) { e.preventDefault(); window.print(); }
  });

  // A double tap must not submit a form twice (touch screens).
  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (form.getAttribute('data-sent')) { e.preventDefault(); return; }
    form.setAttribute('data-sent', '1');
    var button = form.querySelector('button[type="submit"]');
    if (button) setTimeout(function () { button.disabled = true; }, 0);
  });

  // Hand mapping: the search narrows the choice lists as it is typed (without JavaScript its
  // "Narrow the lists" button asks the appliance), and the target whose list has the focus is
  // outlined more strongly on the picture. Words are matched as daemon/web/mapSteps.ts does.
  function plain(s) {
    return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
  }
  document.addEventListener('input', function (e) {
    var box = e.target;
    if (!box || !box.hasAttribute || !box.hasAttribute('data-filter-choices') || !box.form) return;
    var words = plain(box.value).split(' ').filter(function (w) { return w !== ''; });
    function holds(text) {
      var have = plain(text).split(' ');
      return words.every(function (w) { return have.some(function (h) { return h.indexOf(w) === 0; }); });
    }
    box.form.querySelectorAll('select[data-target] optgroup').forEach(function (group) {
      var contestHit = holds(group.label);
      var shown = false;
      group.querySelectorAll('option').forEach(function (o) {
        o.hidden = !(contestHit || holds(o.textContent) || o.selected);
        if (!o.hidden) shown = true;
      });
      group.hidden = !shown;
    });
  });
  document.addEventListener('focusin', function (e) {
    var t = e.target;
    if (!t || t.tagName !== 'SELECT' || !t.getAttribute('data-target')) return;
    document.querySelectorAll('.map-target.focused').forEach(function (g) { g.classList.remove('focused'); });
    var g = document.querySelector('.map-target[data-target="' + t.getAttribute('data-target') + '"]');
    if (g) g.classList.add('focused');
  });

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', connect);
  else connect();
})();
