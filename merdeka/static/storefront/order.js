// The buyer's order page: copy buttons (amount, account numbers, order number) and the
// shop's share button. No inline scripts (CSP). Without JavaScript the copy buttons stay
// hidden, every value is plain text to select, and "Share" opens WhatsApp.
(function () {
  "use strict";
  var page = document.querySelector("[data-order-page]");
  if (!page) return;

  function say(button, text) {
    var status = button.nextElementSibling;
    if (status && status.classList.contains("copy-status")) status.textContent = text;
  }

  // When copying is not allowed (an old browser, a page over plain http), the value is
  // selected instead and the buyer is told to press and hold it.
  function select(id) {
    var source = id && document.getElementById(id);
    if (!source) return;
    var range = document.createRange();
    range.selectNodeContents(source);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function copyByCommand(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "copy-buffer";
    document.body.appendChild(area);
    area.select();
    var done = false;
    try {
      done = document.execCommand("copy");
    } catch (error) {
      done = false;
    }
    document.body.removeChild(area);
    return done;
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(
        function () { return true; },
        function () { return copyByCommand(text); }
      );
    }
    return Promise.resolve(copyByCommand(text));
  }

  function copyAndSay(button, text, done) {
    copy(text).then(function (copied) {
      if (copied) {
        say(button, done);
      } else {
        select(button.getAttribute("data-copy-source"));
        say(button, page.getAttribute("data-select-hint"));
      }
    });
  }

  page.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.hidden = false;
  });

  page.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (button) {
      copyAndSay(button, button.getAttribute("data-copy"), page.getAttribute("data-copied"));
      return;
    }
    var share = event.target.closest("[data-share-url]");
    if (!share) return;
    event.preventDefault();
    var url = share.getAttribute("data-share-url");
    if (navigator.share) {
      navigator.share({
        title: share.getAttribute("data-share-title"),
        text: share.getAttribute("data-share-text"),
        url: url,
      }).catch(function () { /* closed without sharing: nothing to do */ });
      return;
    }
    copyAndSay(share, url, page.getAttribute("data-link-copied"));
  });
})();
