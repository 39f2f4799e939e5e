// gridwarn console: progressive enhancement only — every page works without
// this file. Forms marked data-confirm ask before submitting.
document.addEventListener('submit', function (e) {
  var f = e.target;
  if (f.dataset && f.dataset.confirm && !window.confirm(f.dataset.confirm)) e.preventDefault();
});
