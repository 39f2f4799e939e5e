// gridwarn console: the 12351 operator's form, built for a phone call.
//
// The registry search lists up to ten enterprises of the operator's scope
// whose name contains, or whose credit code starts with, what is typed
// (GET /ui/hotline/enterprises?q=, 200 ms after the last key); ↑/↓ move
// through them, Enter takes one (its credit code goes into the enterprise
// field, its name into the name field), Escape closes the list.
// Ctrl+Enter (⌘+Enter) files the case from any field. Without this file the
// credit code or the name is typed by hand.
(function () {
  'use strict';

  var form = document.getElementById('hotline-form');
  var field = document.getElementById('hotline-search-field');
  if (!form || !field) return;
  var input = document.getElementById('hotline-search');
  var list = document.getElementById('hotline-results');
  var code = document.getElementById('enterprise');
  var name = document.getElementById('enterprise_name');
  var picked = document.getElementById('enterprise-picked');
  field.hidden = false;

  var items = [];
  var active = -1;
  var timer = null;
  var seq = 0;

  function render() {
    list.textContent = '';
    items.forEach(function (it, i) {
      var li = document.createElement('li');
      li.setAttribute('role', 'option');
      li.id = 'hotline-opt-' + i;
      li.className = i === active ? 'active' : '';
      li.setAttribute('aria-selected', i === active ? 'true' : 'false');
      var n = document.createElement('span');
      n.className = 'name';
      n.textContent = it.name;
      var c = document.createElement('span');
      c.className = 'code';
      c.textContent = ' ' + it.code;
      li.appendChild(n);
      li.appendChild(c);
      li.addEventListener('mousedown', function (e) { e.preventDefault(); take(i); });
      list.appendChild(li);
    });
    if (items.length === 0 && input.value.trim() !== '') {
      var none = document.createElement('li');
      none.className = 'muted';
      none.textContent = field.dataset.none || '';
      list.appendChild(none);
    }
    input.setAttribute('aria-expanded', items.length > 0 ? 'true' : 'false');
    if (active >= 0) input.setAttribute('aria-activedescendant', 'hotline-opt-' + active);
    else input.removeAttribute('aria-activedescendant');
  }

  function take(i) {
    var it = items[i];
    if (!it) return;
    code.value = it.code;
    name.value = it.name;
    picked.textContent = it.name + ' ' + it.code;
    items = [];
    active = -1;
    input.value = '';
    render();
    document.getElementById('category').focus();
  }

  function search() {
    var q = input.value.trim();
    var mine = ++seq;
    if (q === '') { items = []; active = -1; render(); return; }
    fetch('/ui/hotline/enterprises?q=' + encodeURIComponent(q), { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (body) {
        if (mine !== seq) return; // a later search answers
        items = body.items || [];
        active = items.length > 0 ? 0 : -1;
        render();
      })
      .catch(function () { /* offline: type the code by hand */ });
  }

  input.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });
  input.addEventListener('keydown', function (e) {
    if (e.key === 'ArrowDown' && items.length) { active = (active + 1) % items.length; render(); e.preventDefault(); }
    else if (e.key === 'ArrowUp' && items.length) { active = (active - 1 + items.length) % items.length; render(); e.preventDefault(); }
    else if (e.key === 'Enter' && !(e.ctrlKey || e.metaKey)) { e.preventDefault(); if (active >= 0) take(active); }
    else if (e.key === 'Escape') { items = []; active = -1; render(); }
  });
  form.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit ? form.requestSubmit() : form.submit(); }
  });
})();
