// The print button of the parcel-card sheets (no inline scripts: CSP).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
