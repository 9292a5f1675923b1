// Light progressive enhancement only; every screen works without it.
// Rows of the queue open their record when clicked anywhere, not only on the link.
document.addEventListener("click", function (e) {
  var row = e.target.closest && e.target.closest("tr[data-href]");
  if (row && !e.target.closest("a, button, input, form, details")) {
    window.location.href = row.getAttribute("data-href");
  }
});
