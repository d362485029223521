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
})();
