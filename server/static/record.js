// record screen: concatenated after app.js into /web/static/app.js (routes.rs).
// Photos open in a lightbox over the page (Escape or Close shuts it; arrows step through the
// gallery); without JavaScript each thumbnail's link opens the full photo.
(function () {
  var box = null, img = null, cap = null, items = [], at = 0;
  function show(i) {
    at = (i + items.length) % items.length;
    var a = items[at];
    img.src = a.getAttribute("data-full");
    img.alt = a.querySelector("img") ? a.querySelector("img").alt : "";
    cap.textContent = a.getAttribute("data-caption") || "";
  }
  function close() {
    if (box) { box.hidden = true; img.removeAttribute("src"); }
  }
  function build() {
    box = document.createElement("div");
    box.className = "rec-lightbox";
    box.id = "lightbox";
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-modal", "true");
    img = document.createElement("img");
    cap = document.createElement("p");
    var tools = document.createElement("div");
    tools.className = "rec-lb-tools";
    var label = (document.documentElement.lang || "").indexOf("zh") === 0
      ? ["‹ 上一张", "关闭", "下一张 ›"] : ["‹ Previous", "Close", "Next ›"];
    [[label[0], function () { show(at - 1); }], [label[1], close], [label[2], function () { show(at + 1); }]]
      .forEach(function (b) {
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = b[0];
        button.addEventListener("click", b[1]);
        tools.appendChild(button);
      });
    box.appendChild(img);
    box.appendChild(cap);
    box.appendChild(tools);
    box.addEventListener("click", function (e) { if (e.target === box) close(); });
    document.body.appendChild(box);
  }
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("#gallery a.rec-open");
    if (!a || e.ctrlKey || e.metaKey || e.shiftKey) return;
    e.preventDefault();
    items = Array.prototype.slice.call(document.querySelectorAll("#gallery a.rec-open"));
    if (!box) build();
    box.hidden = false;
    show(items.indexOf(a));
  });
  document.addEventListener("keydown", function (e) {
    if (!box || box.hidden) return;
    if (e.key === "Escape") close();
    else if (e.key === "ArrowLeft") show(at - 1);
    else if (e.key === "ArrowRight") show(at + 1);
  });
})();
