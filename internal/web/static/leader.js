// Leader pages (dashboard, weekly summaries). Without JavaScript the
// summary's frame has a fixed height and "Print view" opens the report in
// a tab of its own; with it the frame grows to its content and "Print
// view" prints the report (an A4 document) straight from the frame.
(function () {
  'use strict';
  var frame = document.getElementById('summary-frame');
  if (!frame) {
    return;
  }
  function fit() {
    try {
      var doc = frame.contentDocument;
      if (doc && doc.documentElement && doc.body) {
        frame.style.height = doc.documentElement.scrollHeight + 'px';
      }
    } catch (e) {
      // Not readable: keep the stylesheet's height.
    }
  }
  frame.addEventListener('load', fit);
  window.addEventListener('resize', fit);
  if (frame.contentDocument && frame.contentDocument.readyState === 'complete') {
    fit();
  }
  var print = document.getElementById('summary-print');
  if (print) {
    print.addEventListener('click', function (ev) {
      try {
        frame.contentWindow.focus();
        frame.contentWindow.print();
        ev.preventDefault();
      } catch (e) {
        // Fall back to the link: the report in a tab of its own.
      }
    });
  }
})();
