// reference data screen: concatenated after app.js into /web/static/app.js (routes.rs).
// A CSV or XLSX file is sent as it is to the screen's import (/web/admin/reference/upload), with
// the session's CSRF token in a header; the answer (the table's page, or the refusal listing each
// problem by row and column) replaces this page. Without the script the file form stays hidden and
// rows are pasted instead.
(function () {
  var form = document.getElementById("ref-upload");
  if (!form || !window.fetch) return;
  form.hidden = false;
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var input = document.getElementById("ref-file");
    var file = input && input.files && input.files[0];
    if (!file) return;
    var button = document.getElementById("ref-upload-go");
    button.disabled = true;
    fetch(form.getAttribute("data-action"), {
      method: "POST",
      body: file,
      credentials: "same-origin",
      headers: { "X-CSRF-Token": form.getAttribute("data-csrf"), "Content-Type": "application/octet-stream" }
    }).then(function (r) {
      if (r.redirected) { window.location.href = r.url; return null; }
      return r.text().then(function (html) { document.open(); document.write(html); document.close(); });
    }).catch(function () { button.disabled = false; });
  });
})();
