/* A "Print" button for staff pages with a print stylesheet (request summary, day schedule).
   Hidden until this script shows it: without JavaScript the browser's own Print does the same. */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
