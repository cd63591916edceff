/* Visible length limits: every field with maxlength and data-counter gets a live "n of max
   characters" line under it, so a limit is seen before it is hit rather than silently cutting
   a pasted text. The sentence comes from the page (translated), with {count} and {max} in it.
   Loaded as a file (the CSP allows no inline script); without JavaScript the help text says
   the limit. */
(function () {
  "use strict";
  function setUp(field) {
    var max = parseInt(field.getAttribute("maxlength"), 10);
    var template = field.getAttribute("data-counter");
    if (!max || !template) { return; }
    var line = document.createElement("p");
    line.className = "form-text char-counter mb-0";
    line.id = field.id + "_counter";
    line.setAttribute("aria-live", "polite");
    var described = field.getAttribute("aria-describedby");
    field.setAttribute("aria-describedby", (described ? described + " " : "") + line.id);
    field.insertAdjacentElement("afterend", line);
    var update = function () {
      var count = field.value.length;
      line.textContent = template.replace("{count}", count.toLocaleString()).replace("{max}", max.toLocaleString());
      line.classList.toggle("char-counter-full", count >= max);
    };
    field.addEventListener("input", update);
    update();
  }
  document.querySelectorAll("[data-counter][maxlength]").forEach(setUp);
})();
