// funds screens: concatenated after app.js into /web/static/app.js (routes.rs).
// A roster file or a bank's batch result is sent as it is to the form's data-action with the
// session's CSRF token in a header; the answer (the page with the result, or the refusal listing
// each problem) replaces this page. Extra query parameters come from the form's named fields.
(function () {
  var forms = document.querySelectorAll("form.fund-upload");
  if (!forms.length || !window.fetch) return;
  Array.prototype.forEach.call(forms, function (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var input = form.querySelector("input.fund-file");
      var file = input && input.files && input.files[0];
      if (!file) return;
      var params = [];
      Array.prototype.forEach.call(form.querySelectorAll("[name]"), function (el) {
        if (el.value) params.push(encodeURIComponent(el.name) + "=" + encodeURIComponent(el.value));
      });
      params.push("file_name=" + encodeURIComponent(file.name));
      var action = form.getAttribute("data-action");
      var url = action + (action.indexOf("?") < 0 ? "?" : "&") + params.join("&");
      var button = form.querySelector(".fund-upload-go");
      if (button) button.disabled = true;
      fetch(url, {
        method: "POST",
        body: file,
        credentials: "same-origin",
        headers: { "X-CSRF-Token": form.getAttribute("data-csrf"), "Content-Type": "application/octet-stream" }
      }).then(function (r) {
        if (r.redirected) { window.location.href = r.url; return null; }
        return r.text().then(function (html) { document.open(); document.write(html); document.close(); });
      }).catch(function () { if (button) button.disabled = false; });
    });
  });
})();
