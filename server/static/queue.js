// queue screen: concatenated after app.js into /web/static/app.js (routes.rs).
// Enhancements only (every form works without them): "select all on this page", the count of
// selected rows, reason templates that fill the reason, filters folded away on a phone.
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", function () {
  var picks = Array.prototype.slice.call(document.querySelectorAll("input.pick"));
  var all = document.getElementById("pick-page");
  var count = document.getElementById("selected-count");
  function update() {
    var n = picks.filter(function (p) { return p.checked; }).length;
    if (count) { count.textContent = String(n); }
    if (all) {
      all.checked = picks.length > 0 && n === picks.length;
      all.indeterminate = n > 0 && n < picks.length;
    }
  }
  if (all) {
    if (picks.length === 0) { all.disabled = true; }
    all.addEventListener("change", function () {
      picks.forEach(function (p) { p.checked = all.checked; });
      update();
    });
  }
  picks.forEach(function (p) { p.addEventListener("change", update); });
  update();
  var template = document.getElementById("reason-template");
  var reason = document.getElementById("reason");
  if (template && reason) {
    template.addEventListener("change", function () {
      var opt = template.options[template.selectedIndex];
      var text = opt ? opt.getAttribute("data-text") : null;
      if (text) { reason.value = text; }
    });
  }
  var filters = document.getElementById("filters");
  if (filters && window.matchMedia && window.matchMedia("(max-width: 640px)").matches) {
    filters.removeAttribute("open");
  }
});
