// Several receipts with the camera before sending: each shot is added to the ones taken
// before (a phone's camera input holds one photo a time), and the count is shown. Without
// this script the form still sends what the inputs hold.
(function () {
  var camera = document.getElementById('receipt-camera');
  var shots = document.querySelector('[data-testid="receipt-shots"]');
  if (!camera || !shots || typeof DataTransfer === 'undefined') { return; }
  var taken = new DataTransfer();
  camera.addEventListener('change', function () {
    Array.prototype.forEach.call(camera.files, function (file) {
      var known = Array.prototype.some.call(taken.files, function (old) {
        return old.name === file.name && old.size === file.size && old.lastModified === file.lastModified;
      });
      if (!known) { taken.items.add(file); }
    });
    camera.files = taken.files;
    var count = taken.files.length;
    shots.textContent = count + ' ' + shots.getAttribute('data-taken');
    shots.hidden = count === 0;
  });
})();
