// The service worker that shows new-order notifications on phones (they allow them only
// from a worker); a tap opens the order. It caches nothing and controls no page.
self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = event.notification.data && event.notification.data.url;
  if (url) event.waitUntil(self.clients.openWindow(url));
});
