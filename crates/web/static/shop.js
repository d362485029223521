// Sweep storefront: small enhancements; every page works without them.
(function () {
  // A select marked data-autosubmit sends its form when changed (the page's CSP
  // forbids inline handlers; a <noscript> button does it without scripts).
  document.querySelectorAll('[data-autosubmit]').forEach(function (select) {
    select.addEventListener('change', function () { if (select.form) { select.form.submit(); } });
  });

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

  // Product page: "in stock near you" from the browser's own position, when allowed,
  // and for the variant chosen.
  var nearby = document.getElementById('nearby');
  if (nearby) {
    var where = null;
    var list = nearby.querySelector('[data-nearby-list]');
    var distance = function (m) { return m < 1000 ? m + ' m' : (m / 1000).toFixed(1) + ' km'; };
    var show = function (stores) {
      var d = nearby.dataset;
      list.textContent = '';
      var empty = nearby.querySelector('[data-nearby-empty]');
      if (empty) { empty.hidden = stores.length > 0; }
      stores.forEach(function (n) {
        var li = document.createElement('li');
        var name = document.createElement('b');
        name.textContent = (d.en && n.store.name.en) ? n.store.name.en : (n.store.name.zh || n.store.name.en);
        var far = document.createElement('span');
        far.className = 'distance';
        far.textContent = ' ' + distance(n.distance_m);
        var address = document.createElement('span');
        address.className = 'muted';
        address.textContent = n.store.address;
        var facts = document.createElement('span');
        facts.className = 'muted';
        facts.textContent = d.today + ' ' + n.hours_today.join(', ') + ' · ' + (n.open_now ? d.open : d.closed) + ' · ' + d.stock + ' ' + n.available;
        li.append(name, far, address, facts);
        if (n.store.pickup_enabled) {
          var pick = document.createElement('button');
          pick.className = 'light small';
          pick.type = 'submit';
          pick.setAttribute('form', 'buy');
          pick.name = 'then';
          pick.value = 'pickup:' + n.store.id;
          pick.textContent = d.pickup;
          li.append(pick);
        }
        list.append(li);
      });
    };
    // Until the phone gives its position, measure from where the page did.
    if (nearby.dataset.lat) { where = { lat: nearby.dataset.lat, lng: nearby.dataset.lng }; }
    var refresh = function () {
      if (!where) { return; }
      var url = nearby.dataset.nearby + '?limit=5&sku=' + encodeURIComponent(nearby.dataset.sku) +
        '&lat=' + where.lat + '&lng=' + where.lng;
      fetch(url, { credentials: 'same-origin' }).then(function (r) { return r.ok ? r.json() : []; }).then(show);
    };
    var locate = nearby.querySelector('[data-locate-nearby]');
    if (locate && navigator.geolocation) {
      locate.hidden = false;
      locate.addEventListener('click', function () {
        navigator.geolocation.getCurrentPosition(function (pos) {
          where = { lat: pos.coords.latitude.toFixed(6), lng: pos.coords.longitude.toFixed(6) };
          refresh();
        }, function () { locate.hidden = true; }, { timeout: 10000 });
      });
    }
    document.querySelectorAll('#buy input[name=sku_id]').forEach(function (radio) {
      radio.addEventListener('change', function () { nearby.dataset.sku = radio.value; refresh(); });
    });
  }

  // The store the shopper stands in: its stock of the variant chosen.
  var here = document.getElementById('here');
  if (here) {
    var stock = {};
    here.dataset.stock.split(',').forEach(function (pair) {
      var kv = pair.split(':');
      stock[kv[0]] = parseInt(kv[1], 10) || 0;
    });
    document.querySelectorAll('#buy input[name=sku_id]').forEach(function (radio) {
      radio.addEventListener('change', function () {
        var n = stock[radio.value] || 0;
        var line = document.getElementById('here-stock');
        line.textContent = n > 0 ? here.dataset.in + ' ' + n + ' ' + here.dataset.units : here.dataset.none;
        var button = document.getElementById('pick-up-here');
        if (button) { button.hidden = n <= 0; }
      });
    });
  }

  // Checkout: the total follows the way of getting the order (stores may price differently).
  var total = document.getElementById('total');
  if (total) {
    document.querySelectorAll('input[name=choice]').forEach(function (radio) {
      radio.addEventListener('change', function () {
        if (radio.dataset.total) { total.textContent = '¥' + radio.dataset.total; }
      });
    });
  }

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
