// New orders as browser notifications, where the seller allowed them. No inline script
// (CSP), no library: it asks /pesanan/kabar/?since=<id> every minute for the buyers'
// orders after the last one this browser saw, and shows each as a notification.
(function () {
  "use strict";
  var box = document.getElementById("order-notify");
  if (!box || !("Notification" in window) || !window.fetch || !window.localStorage) return;
  var url = box.getAttribute("data-url");
  var key = "merdeka-last-order-" + box.getAttribute("data-shop");
  var every = 60 * 1000;
  var timer = null;

  function offer() {
    // the button only while the browser may still ask; nothing once it was refused
    box.hidden = Notification.permission !== "default";
  }

  function show(order) {
    var title = box.getAttribute("data-title");
    var options = { body: "#" + order.number + " · " + order.total, tag: "merdeka-order-" + order.id, data: { url: order.url } };
    try {
      var note = new Notification(title, options);
      note.onclick = function () { window.focus(); window.location.href = order.url; };
    } catch (error) {
      // phones allow notifications only from a service worker (notify-sw.js)
      var worker = box.getAttribute("data-worker");
      if (!worker || !navigator.serviceWorker) return;
      navigator.serviceWorker.register(worker).then(function (registration) {
        return registration.showNotification(title, options);
      }).catch(function () {});
    }
  }

  function poll() {
    var since = window.localStorage.getItem(key);
    var ask = url + (since ? "?since=" + encodeURIComponent(since) : "");
    fetch(ask, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (news) {
        if (!news) return;
        if (since) news.orders.forEach(show);  // the first visit only learns where it is
        window.localStorage.setItem(key, String(news.latest));
      })
      .catch(function () {});  // offline for a moment: the next round asks again
  }

  function start() {
    if (Notification.permission !== "granted" || timer) return;
    poll();
    timer = window.setInterval(poll, every);
  }

  box.querySelector("button").addEventListener("click", function () {
    Notification.requestPermission().then(function () { offer(); start(); });
  });
  offer();
  start();
})();
