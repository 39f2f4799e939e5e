// gridwarn console: progressive enhancement only — every page works without
// this file. Forms marked data-confirm ask before submitting.
document.addEventListener('submit', function (e) {
  var f = e.target;
  if (f.dataset && f.dataset.confirm && !window.confirm(f.dataset.confirm)) e.preventDefault();
});

// A page that answers a form (a refused or conflicting action shown back at
// its form) names its own address in data-path: put it in the address bar,
// so that a reload or a bookmark opens the ticket, not the form's address.
(function () {
  var p = document.body && document.body.dataset.path;
  if (p && p !== location.pathname + location.search && window.history && history.replaceState) {
    history.replaceState(null, '', p);
  }
})();
