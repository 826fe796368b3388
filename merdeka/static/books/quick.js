// The quick expense: the amount is ready to type as soon as the form opens, and the
// photo button says which photo was chosen.
(function () {
  function focusAmount(scope) {
    var amount = scope.querySelector('input[name="amount"]');
    if (amount) { amount.focus(); }
  }
  document.querySelectorAll('details.quick-expense').forEach(function (box) {
    box.addEventListener('toggle', function () { if (box.open) { focusAmount(box); } });
  });
  document.querySelectorAll('[data-focus-amount]').forEach(focusAmount);
  document.querySelectorAll('.receipt-field input[type="file"]').forEach(function (input) {
    var button = input.parentElement.querySelector('.photo-button');
    var text = button && button.querySelector('[data-chosen]');
    input.addEventListener('change', function () {
      if (!text || !input.files.length) { return; }
      text.textContent = text.getAttribute('data-chosen') + ' ' + input.files[0].name;
      button.classList.add('chosen');
    });
  });
})();
