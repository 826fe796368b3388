// The region selects (#regions: province, city, district, village) load the next list
// through htmx when a choice changes. A choice made before htmx had started (a slow
// phone) or put back by the browser (a back navigation; Chromium does it after the
// load event) sends no change event, so its list would never come. Once the page is
// shown, a select that does not hold the choice the page was sent with gets that
// change now, unless a request for the block is already on its way. Not an htmx
// "pageshow" trigger: its request, always sent, would be cut off (an error) by a
// choice made meanwhile, and its answer could undo that choice.
(function () {
  "use strict";

  function sentValue(select) {
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].defaultSelected) return select.options[i].value;
    }
    return select.options.length ? select.options[0].value : "";
  }

  window.addEventListener("pageshow", function () {
    var block = document.getElementById("regions");
    if (!block || block.classList.contains("htmx-request")) return;
    var selects = block.querySelectorAll("select");
    for (var i = 0; i < selects.length; i++) {
      if (selects[i].value !== sentValue(selects[i])) {
        // one event: the request sends every select of the block
        selects[i].dispatchEvent(new Event("change", { bubbles: true }));
        return;
      }
    }
  });
})();
