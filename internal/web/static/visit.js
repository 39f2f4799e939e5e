// gridwarn console: the visit form on a poor connection, as report.js
// does for reports. A visit is stored in localStorage (under its id, minted
// when the form opened) BEFORE it is sent, and removed only when the
// server confirms it (2xx); failures and 5xx keep it and it is sent again
// every 5 s, on `online` and on every page load, always with the SAME id,
// so a repeat stores one visit. A 4xx is final (listed as refused until
// discarded); 401/403 waits for a new sign-in. When a report is to be
// filed from the visit, the confirmed visit opens the report form.
(function () {
  'use strict';

  var PREFIX = 'gridwarn.visit.';
  var RETRY_MS = 5000;
  var TIMEOUT_MS = 15000;

  var pending = document.getElementById('visit-pending');
  if (!pending) return;
  var section = document.getElementById('visit-pending-section');
  var form = document.getElementById('visit-form');
  var statusEl = document.getElementById('visit-status');
  var errorsEl = document.getElementById('visit-errors');
  var user = pending.dataset.user || '';
  var msg = function (k) { return pending.dataset[k] || ''; };

  var store = (function () {
    try {
      var k = PREFIX + 'probe';
      window.localStorage.setItem(k, k);
      window.localStorage.removeItem(k);
      return window.localStorage;
    } catch (e) {
      var m = {};
      return {
        get length() { return Object.keys(m).length; },
        key: function (i) { return Object.keys(m)[i]; },
        getItem: function (k) { return Object.prototype.hasOwnProperty.call(m, k) ? m[k] : null; },
        setItem: function (k, v) { m[k] = String(v); },
        removeItem: function (k) { delete m[k]; }
      };
    }
  })();

  function save(rec) { try { store.setItem(PREFIX + rec.id, JSON.stringify(rec)); } catch (e) { /* sent now anyway */ } }
  function load(id) { try { return JSON.parse(store.getItem(PREFIX + id)); } catch (e) { return null; } }
  function drop(id) { store.removeItem(PREFIX + id); }
  function all() {
    var out = [];
    for (var i = 0; i < store.length; i++) {
      var k = store.key(i);
      if (!k || k.indexOf(PREFIX) !== 0 || k === PREFIX + 'probe') continue;
      var r = null;
      try { r = JSON.parse(store.getItem(k)); } catch (e) { /* skip */ }
      if (r && r.id && r.user === user) out.push(r);
    }
    out.sort(function (a, b) { return (a.queued_at || '').localeCompare(b.queued_at || ''); });
    return out;
  }
  function csrf(rec) {
    var el = document.querySelector('input[name=csrf]');
    return (el && el.value) || (rec && rec.csrf) || '';
  }
  function setStatus(text, kind) {
    if (!statusEl) return;
    statusEl.textContent = text;
    statusEl.className = 'status' + (kind ? ' ' + kind : '');
  }

  function render() {
    var recs = all();
    while (pending.firstChild) pending.removeChild(pending.firstChild);
    recs.forEach(function (r) {
      var li = document.createElement('li');
      li.dataset.visitId = r.id;
      li.dataset.state = r.state || 'waiting';
      var what = document.createElement('span');
      what.className = 'what';
      what.textContent = [r.enterprise_name, r.fields.visited_on].filter(Boolean).join(' · ');
      li.appendChild(what);
      var st = document.createElement('span');
      st.className = 'state';
      st.textContent = r.state === 'failed' ? msg('rejected') + (r.error ? ': ' + r.error : '') :
        r.state === 'signin' ? msg('signin') : msg('waiting');
      li.appendChild(st);
      if (r.state === 'signin') {
        var a = document.createElement('a');
        a.href = '/ui/login?next=' + encodeURIComponent(location.pathname + location.search);
        a.textContent = msg('signinLink');
        li.appendChild(a);
      }
      if (r.state === 'failed') {
        var b = document.createElement('button');
        b.type = 'button';
        b.className = 'link discard';
        b.textContent = msg('discard');
        b.addEventListener('click', function () { drop(r.id); render(); });
        li.appendChild(b);
      }
      pending.appendChild(li);
    });
    if (section) section.hidden = recs.length === 0;
  }

  var colon = /^zh/.test(document.documentElement.lang) ? '：' : ': ';

  function showErrors(rec, body) {
    if (!errorsEl || !form || form.elements.id.value !== rec.id) return false;
    while (errorsEl.firstChild) errorsEl.removeChild(errorsEl.firstChild);
    var p = document.createElement('p');
    p.textContent = msg('failed') + ' ' + (body.message || '');
    errorsEl.appendChild(p);
    if (body.fields && body.fields.length) {
      var ul = document.createElement('ul');
      body.fields.forEach(function (f) {
        var li = document.createElement('li');
        li.textContent = (f.label || f.field) + colon + f.message;
        ul.appendChild(li);
        var el = form.elements[f.field];
        if (el && el.setAttribute) el.setAttribute('aria-invalid', 'true');
      });
      errorsEl.appendChild(ul);
    }
    errorsEl.hidden = false;
    return true;
  }

  var inflight = {};
  function send(rec) {
    if (inflight[rec.id]) return Promise.resolve();
    inflight[rec.id] = true;
    var body = new URLSearchParams();
    Object.keys(rec.fields).forEach(function (k) { body.append(k, rec.fields[k]); });
    var ctl = window.AbortController ? new AbortController() : null;
    var timer = ctl ? setTimeout(function () { ctl.abort(); }, TIMEOUT_MS) : null;
    return fetch('/ui/visits', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Accept': 'application/json', 'X-CSRF-Token': csrf(rec) },
      body: body,
      signal: ctl ? ctl.signal : undefined
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) { settle(rec, resp.status, data); });
    }, function () { settle(rec, 0, {}); }).then(function () {
      if (timer) clearTimeout(timer);
      delete inflight[rec.id];
    });
  }

  function settle(rec, status, data) {
    var current = form && form.elements.id.value === rec.id;
    if (current) busyForm(false);
    if (status >= 200 && status < 300) {
      drop(rec.id);
      setStatus(data.created === false ? msg('duplicate') : msg('sent'), 'ok');
      render();
      // The report form, pre-filled from the visit, when one is to be filed.
      if (current && data.next && data.next.indexOf('/ui/report?') === 0) {
        window.location.assign(data.next);
      } else if (current) {
        window.location.assign('/ui/visits');
      }
      return;
    }
    if (status === 401 || status === 403) {
      rec.state = 'signin';
      setStatus(msg('signin'), 'error');
    } else if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
      rec.state = 'failed';
      rec.error = data.message || String(status);
      if (showErrors(rec, data)) setStatus('', '');
      else setStatus(msg('failed') + ' ' + rec.error, 'error');
    } else {
      rec.state = 'waiting';
      setStatus(msg('queued'), 'queued');
    }
    save(rec);
    render();
  }

  var busy = false;
  function flush(includeSignin) {
    if (busy) return Promise.resolve();
    busy = true;
    var chain = Promise.resolve();
    all().filter(function (r) { return r.state !== 'failed' && (r.state !== 'signin' || includeSignin); })
      .forEach(function (r) {
        chain = chain.then(function () { var still = load(r.id); return still ? send(still) : null; });
      });
    return chain.then(function () { busy = false; }, function () { busy = false; });
  }
  function loop() { flush(false).then(function () { setTimeout(loop, RETRY_MS); }); }

  function busyForm(on) {
    var b = document.getElementById('visit-submit');
    if (b) b.disabled = on;
    form.setAttribute('aria-busy', on ? 'true' : 'false');
  }

  // The ticket number shows only for a ticket's follow-up.
  function showKind() {
    if (!form) return;
    var kind = form.elements.kind.value;
    var els = form.querySelectorAll('[data-kind]');
    for (var i = 0; i < els.length; i++) {
      var show = els[i].dataset.kind === kind;
      els[i].hidden = !show;
      var inputs = els[i].querySelectorAll('input');
      for (var j = 0; j < inputs.length; j++) inputs[j].disabled = !show;
    }
  }

  if (form) {
    form.elements.kind.addEventListener('change', showKind);
    showKind();
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      showKind();
      var fields = {};
      new FormData(form).forEach(function (v, k) { if (k !== 'csrf') fields[k] = String(v); });
      var rec = { id: fields.id, user: user, fields: fields, csrf: csrf(null), state: 'waiting',
        queued_at: new Date().toISOString(), enterprise_name: form.dataset.enterpriseName || fields.enterprise };
      busyForm(true);
      save(rec);
      if (errorsEl) { errorsEl.hidden = true; }
      setStatus(msg('sending'), '');
      render();
      send(rec);
    });
  }

  window.addEventListener('online', function () { flush(true); });
  window.addEventListener('storage', function (e) { if (e.key && e.key.indexOf(PREFIX) === 0) render(); });
  render();
  flush(true).then(function () { setTimeout(loop, RETRY_MS); });
})();
