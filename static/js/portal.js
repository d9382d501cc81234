/* Staff pages (portal and manager): a form marked data-once submits once (a second tap does nothing),
   data-confirm asks first. No inline handlers: everything is bound here. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-once")) return;
    if (form.dataset.sent === "1") { event.preventDefault(); return; }
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    var buttons = document.querySelectorAll("form[data-once] button[type=submit]");
    // One change at a time: every close/approve button on the page waits for this answer.
    buttons.forEach(function (button) { button.setAttribute("aria-disabled", "true"); button.classList.add("is-busy"); });
    document.querySelectorAll("form[data-once]").forEach(function (other) { other.dataset.sent = "1"; });
  }, true);
})();
