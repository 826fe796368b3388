// The wa.me send queue: a tap records the message as sent (the server checks consent
// at that moment), then WhatsApp opens with the message. Without JavaScript the link
// opens WhatsApp and the "Mark as sent" button records it.
(function () {
  "use strict";
  var queue = document.getElementById("send-queue");
  if (!queue) return;
  var csrf = queue.getAttribute("data-csrf");
  queue.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-mark-url]");
    if (!link) return;
    event.preventDefault();
    var row = link.closest("li");
    link.setAttribute("aria-busy", "true");
    // open the window during the tap, so that no pop-up blocker stops it
    var opened = window.open("about:blank", "_blank");
    if (opened) opened.opener = null;
    fetch(link.getAttribute("data-mark-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "X-Merdeka-Queue": "1" },
    })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        if (answer.ok && answer.url) {
          if (opened) { opened.location.href = answer.url; } else { window.location.href = answer.url; }
        } else if (opened) {
          opened.close();
        }
        var holder = document.createElement("template");
        holder.innerHTML = answer.row.trim();
        row.replaceWith(holder.content.firstElementChild);
        var waiting = document.querySelector("[data-testid=waiting]");
        if (answer.ok && waiting) {
          var n = parseInt(waiting.textContent, 10);
          if (!isNaN(n) && n > 0) waiting.textContent = waiting.textContent.replace(String(n), String(n - 1));
        }
      })
      .catch(function () {
        link.removeAttribute("aria-busy");
        if (opened) opened.close();
        window.location.href = link.href;
      });
  });
})();
