// gridwarn console: the report form on a poor connection.
//
// Without this file the form is a plain POST. With it, a report is stored
// in localStorage (under its event id) BEFORE it is sent, sent with fetch,
// and removed only when the server confirms it (2xx). Network failures and
// 5xx keep it queued: it is sent again every 5 s, on the `online` event and
// when a page loads, always with the SAME id, so a repeat is one event. A
// 4xx is final: the report stays listed as refused until discarded. A
// 401/403 means the session expired: the report waits for a new sign-in.
// The form shows only the fields its category needs.
(function () {
  'use strict';

  var PREFIX = 'gridwarn.report.';
  var RETRY_MS = 5000;
  var TIMEOUT_MS = 15000;

  var pending = document.getElementById('pending');
  if (!pending) return;
  var section = document.getElementById('pending-section');
  var form = document.getElementById('report-form');
  var statusEl = document.getElementById('report-status');
  var errorsEl = document.getElementById('report-errors');
  var user = pending.dataset.user || '';
  var msg = function (k) { return pending.dataset[k] || ''; };

  // Storage: localStorage, or memory when the browser refuses it (private
  // mode): the queue then lasts as long as the page.
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

  function save(rec) {
    try { store.setItem(PREFIX + rec.id, JSON.stringify(rec)); } catch (e) { /* full: it is still sent now */ }
  }
  function load(id) {
    try { return JSON.parse(store.getItem(PREFIX + id)); } catch (e) { return null; }
  }
  function drop(id) { store.removeItem(PREFIX + id); }
  // all: this person's stored reports, oldest first. Reports of someone
  // else who used this browser are neither shown nor sent as this person.
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

  // The session's CSRF token: the page's (fresh after a new sign-in), else
  // the one stored with the report.
  function csrf(rec) {
    var el = document.querySelector('input[name=csrf]');
    return (el && el.value) || (rec && rec.csrf) || '';
  }

  function newID() {
    var b = new Uint8Array(12);
    window.crypto.getRandomValues(b);
    var s = 'web-';
    for (var i = 0; i < b.length; i++) s += (b[i] < 16 ? '0' : '') + b[i].toString(16);
    return s;
  }

  // now in the console's time zone as a datetime-local value.
  function localNow() {
    var off = form ? parseInt(form.dataset.utcOffset, 10) : NaN;
    if (isNaN(off)) off = -new Date().getTimezoneOffset();
    return new Date(Date.now() + off * 60000).toISOString().slice(0, 16);
  }

  function setStatus(text, kind) {
    if (!statusEl) return;
    statusEl.textContent = text;
    statusEl.className = 'status' + (kind ? ' ' + kind : '');
  }

  // render lists the stored reports in ul#pending.
  function render() {
    var recs = all();
    while (pending.firstChild) pending.removeChild(pending.firstChild);
    recs.forEach(function (r) {
      var li = document.createElement('li');
      li.dataset.eventId = r.id;
      li.dataset.state = r.state || 'waiting';
      var what = document.createElement('span');
      what.className = 'what';
      what.textContent = [r.enterprise_name, r.category_label, (r.fields.occurred_at || '').replace('T', ' ')]
        .filter(Boolean).join(' · ');
      li.appendChild(what);
      var st = document.createElement('span');
      st.className = 'state';
      if (r.state === 'failed') {
        st.textContent = msg('rejected') + (r.error ? ': ' + r.error : '');
      } else if (r.state === 'signin') {
        st.textContent = msg('signin');
      } else {
        st.textContent = msg('waiting');
      }
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

  // showErrors shows a refusal in the form, if the form still holds the
  // refused report; it reports whether it did.
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
        var el = form.elements[f.field];
        li.textContent = (f.label || f.field) + colon + f.message;
        ul.appendChild(li);
        if (el && el.setAttribute) el.setAttribute('aria-invalid', 'true');
      });
      errorsEl.appendChild(ul);
    }
    errorsEl.hidden = false;
    errorsEl.scrollIntoView({ block: 'nearest' });
    return true;
  }

  function clearErrors() {
    if (!errorsEl) return;
    while (errorsEl.firstChild) errorsEl.removeChild(errorsEl.firstChild);
    errorsEl.hidden = true;
    if (form) {
      var bad = form.querySelectorAll('[aria-invalid]');
      for (var i = 0; i < bad.length; i++) bad[i].removeAttribute('aria-invalid');
      var fe = form.querySelectorAll('.field-error');
      for (var j = 0; j < fe.length; j++) fe[j].parentNode.removeChild(fe[j]);
    }
  }

  // fresh empties the form for the next report, with a new id.
  function fresh() {
    if (!form) return;
    var el = form.elements;
    el.id.value = newID();
    el.category.value = '';
    el.workers_involved.value = '';
    el.amount_owed_cny.value = '';
    el.months_in_arrears.value = '';
    el.collective.checked = false;
    el.action.value = '';
    el.summary.value = '';
    el.occurred_at.value = localNow();
    if (el.reported_at) el.reported_at.parentNode.removeChild(el.reported_at);
    clearErrors();
    showCategory();
  }

  var inflight = {};

  // send posts one stored report and settles it by the answer.
  function send(rec) {
    if (inflight[rec.id]) return Promise.resolve();
    inflight[rec.id] = true;
    var body = new URLSearchParams();
    Object.keys(rec.fields).forEach(function (k) { body.append(k, rec.fields[k]); });
    var ctl = window.AbortController ? new AbortController() : null;
    var timer = ctl ? setTimeout(function () { ctl.abort(); }, TIMEOUT_MS) : null;
    return fetch('/ui/report', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Accept': 'application/json', 'X-CSRF-Token': csrf(rec) },
      body: body,
      signal: ctl ? ctl.signal : undefined
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        settle(rec, resp.status, data);
      });
    }, function () {
      settle(rec, 0, {});
    }).then(function () {
      if (timer) clearTimeout(timer);
      delete inflight[rec.id];
    });
  }

  function settle(rec, status, data) {
    var current = form && form.elements.id.value === rec.id;
    if (current) busyForm(false);
    if (status >= 200 && status < 300) {
      drop(rec.id);
      setStatus(data.duplicate ? msg('duplicate') : msg('sent'), 'ok');
      if (current) fresh();
    } else if (status === 401 || status === 403) {
      rec.state = 'signin';
      save(rec);
      setStatus(msg('signin'), 'error');
      if (current) fresh();
    } else if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
      rec.state = 'failed';
      rec.error = data.message || String(status);
      save(rec);
      if (showErrors(rec, data)) setStatus('', '');
      else setStatus(msg('failed') + ' ' + rec.error, 'error');
    } else { // no answer, 5xx, 408, 429: try again later with the same id
      rec.state = 'waiting';
      save(rec);
      setStatus(msg('queued'), 'queued');
      if (current) fresh();
    }
    render();
  }

  // flush sends what waits; after a page load also what waited for a sign-in.
  var busy = false;
  function flush(includeSignin) {
    if (busy) return Promise.resolve();
    busy = true;
    var recs = all().filter(function (r) {
      return r.state !== 'failed' && (r.state !== 'signin' || includeSignin);
    });
    var chain = Promise.resolve();
    recs.forEach(function (r) {
      chain = chain.then(function () {
        var still = load(r.id); // another tab may have sent it meanwhile
        return still ? send(still) : null;
      });
    });
    return chain.then(function () { busy = false; }, function () { busy = false; });
  }

  function loop() {
    flush(false).then(function () { setTimeout(loop, RETRY_MS); });
  }

  // Category-specific fields: show those whose data-categories lists the
  // chosen category (all of them until one is chosen, as without
  // JavaScript); hidden inputs are disabled, so they are not sent.
  function showCategory() {
    if (!form) return;
    var cat = form.elements.category.value;
    var els = form.querySelectorAll('[data-categories]');
    for (var i = 0; i < els.length; i++) {
      var listed = (' ' + els[i].dataset.categories + ' ').indexOf(' ' + cat + ' ') >= 0;
      // A field shows until a category is chosen; a hint only for its own.
      var show = listed || (cat === '' && !els[i].classList.contains('hint'));
      els[i].hidden = !show;
      var inputs = els[i].querySelectorAll('input, select, textarea');
      for (var j = 0; j < inputs.length; j++) inputs[j].disabled = !show;
    }
  }

  function busyForm(on) {
    var b = document.getElementById('report-submit');
    if (b) b.disabled = on;
    form.setAttribute('aria-busy', on ? 'true' : 'false');
  }

  if (form) {
    form.elements.category.addEventListener('change', showCategory);
    showCategory();
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      showCategory(); // in case the category changed without a change event
      var fields = {};
      var fd = new FormData(form);
      fd.forEach(function (v, k) { if (k !== 'csrf') fields[k] = String(v); });
      if (!fields.reported_at) fields.reported_at = new Date().toISOString();
      var cat = form.elements.category;
      var rec = {
        id: fields.id, user: user, fields: fields, csrf: csrf(null), state: 'waiting',
        queued_at: new Date().toISOString(), enterprise_name: form.dataset.enterpriseName || fields.enterprise,
        category_label: cat.selectedIndex > 0 ? cat.options[cat.selectedIndex].text : ''
      };
      busyForm(true);
      save(rec); // before sending: a lost connection or a closed tab loses nothing
      clearErrors();
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
