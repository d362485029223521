// Sweep storefront: small enhancements; every page works without them.
(function () {
  // Address form: fill the coordinates from the browser's location when asked.
  document.querySelectorAll('[data-locate]').forEach(function (button) {
    button.addEventListener('click', function () {
      var form = button.closest('form');
      var note = form.querySelector('[data-located]');
      if (!navigator.geolocation) { note.textContent = '—'; return; }
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.querySelector('[name=lat]').value = pos.coords.latitude.toFixed(6);
        form.querySelector('[name=lng]').value = pos.coords.longitude.toFixed(6);
        note.textContent = pos.coords.latitude.toFixed(4) + ', ' + pos.coords.longitude.toFixed(4);
      }, function () { note.textContent = '—'; }, { timeout: 10000 });
    });
  });

  // Counter: scan the shopper's QR code with the phone's camera where the browser can
  // read barcodes itself; a hand scanner or typing works everywhere.
  document.querySelectorAll('[data-scan]').forEach(function (button) {
    if (!('BarcodeDetector' in window) || !navigator.mediaDevices) { return; }
    button.hidden = false;
    button.addEventListener('click', function () {
      var form = button.closest('form');
      var video = form.querySelector('video');
      var detector = new window.BarcodeDetector({ formats: ['qr_code'] });
      navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } }).then(function (stream) {
        video.hidden = false;
        video.srcObject = stream;
        video.play();
        var stop = function () { stream.getTracks().forEach(function (t) { t.stop(); }); video.hidden = true; };
        var look = function () {
          detector.detect(video).then(function (codes) {
            var digits = codes.length ? codes[0].rawValue.replace(/\D/g, '') : '';
            if (digits) { stop(); form.querySelector('[name=code]').value = digits; form.submit(); }
            else { setTimeout(look, 250); }
          }, function () { setTimeout(look, 250); });
        };
        look();
      }, function () { button.hidden = true; });
    });
  });
})();
