// The daily report's print button: shown only where the script runs (Ctrl+P prints the page too).
document.addEventListener("DOMContentLoaded", function () {
  var b = document.getElementById("dr-print");
  if (!b) return;
  b.hidden = false;
  b.addEventListener("click", function () { window.print(); });
});
