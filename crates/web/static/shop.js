// Sweep storefront: small enhancements; every page works without them.
(function () {
  // A select (or radio) marked data-autosubmit sends its form when changed (the page's
  // CSP forbids inline handlers; a <noscript> button does it without scripts).
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

  // Checkout: the total follows the way of getting the order (stores may price
  // differently), the coupon chosen (it comes off first) and the points used; the
  // server charges its own figure regardless.
  var total = document.getElementById('total');
  if (total) {
    var box = document.getElementById('points-box');
    var usePoints = document.getElementById('use-points');
    var points = document.getElementById('points');
    var pointsOff = document.getElementById('points-off');
    var couponOff = document.getElementById('coupon-off');
    var fen = function (yuan) { return Math.round(parseFloat(yuan) * 100); };
    var yuan = function (f) { return (f / 100).toFixed(2); };
    // What the coupon takes off goods of `goods` fen for `choice`: nothing where it does
    // not apply, never all of it (as the server reckons it).
    var couponFor = function (coupon, goods, choice) {
      if (!coupon || !coupon.value) { return 0; }
      var d = coupon.dataset;
      if (goods < (parseInt(d.min, 10) || 0)) { return 0; }
      if (d.stores) {
        var store = choice.indexOf('pickup:') === 0 ? choice.slice(7) : '';
        if (d.stores.split(' ').indexOf(store) < 0) { return 0; }
      }
      var rule = d.rule.split(':');
      var off = 0;
      if (rule[0] === 'fixed') { off = parseInt(rule[1], 10) || 0; }
      if (rule[0] === 'percent') {
        off = Math.floor(goods * (parseInt(rule[1], 10) || 0) / 100);
        if (rule[2]) { off = Math.min(off, parseInt(rule[2], 10) || 0); }
      }
      return Math.max(0, Math.min(off, goods - 1));
    };
    var refresh = function () {
      var radio = document.querySelector('input[name=choice]:checked');
      if (!radio || !radio.dataset.total) { return; }
      var due = fen(radio.dataset.total);
      if (couponOff) {
        var off = couponFor(document.querySelector('input[name=coupon]:checked'), due, radio.value);
        couponOff.textContent = '-¥' + yuan(off);
        due -= off;
      }
      if (box && points && usePoints) {
        var n = Math.max(0, parseInt(points.value, 10) || 0);
        var value = n * (parseInt(box.dataset.pointValue, 10) || 0);
        pointsOff.textContent = '-¥' + yuan(value);
        if (usePoints.checked) { due = Math.max(0, due - value); }
      }
      total.textContent = '¥' + yuan(due);
    };
    document.querySelectorAll('input[name=choice], input[name=coupon]').forEach(function (radio) {
      radio.addEventListener('change', refresh);
    });
    if (usePoints && points) {
      usePoints.addEventListener('change', refresh);
      points.addEventListener('input', function () { usePoints.checked = true; refresh(); });
    }
    refresh();
  }

  // The counter and the till: scan with the phone's camera where the browser can read
  // barcodes itself; a hand scanner or typing works everywhere. A button marked
  // data-scan (its value: the formats to read, QR codes by default) fills the field of
  // its form marked data-scannable that last had the focus (the first, to begin with)
  // and sends the form. Numeric fields take only the digits of what was read.
  document.querySelectorAll('[data-scan]').forEach(function (button) {
    if (!('BarcodeDetector' in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { return; }
    var form = button.closest('form');
    var video = form.querySelector('video');
    var fields = form.querySelectorAll('[data-scannable]');
    var field = fields[0];
    if (!video || !field) { return; }
    fields.forEach(function (f) {
      if (f === document.activeElement) { field = f; }
      f.addEventListener('focus', function () { field = f; });
    });
    button.hidden = false;
    button.addEventListener('click', function () {
      if (!video.hidden) { return; }
      var detector;
      try {
        detector = new window.BarcodeDetector({ formats: (button.dataset.scan || 'qr_code').split(' ') });
      } catch (e) {
        detector = new window.BarcodeDetector();
      }
      var target = field;
      navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } }).then(function (stream) {
        video.hidden = false;
        video.srcObject = stream;
        video.play();
        var stop = function () { stream.getTracks().forEach(function (t) { t.stop(); }); video.hidden = true; };
        var look = function () {
          detector.detect(video).then(function (codes) {
            var raw = codes.length ? String(codes[0].rawValue) : '';
            var value = target.inputMode === 'numeric' ? raw.replace(/\D/g, '') : raw.trim();
            if (value) { stop(); target.value = value; form.submit(); }
            else { setTimeout(look, 250); }
          }, function () { setTimeout(look, 250); });
        };
        look();
      }, function () { button.hidden = true; });
    });
  });

  // Till: what is due follows the coupon chosen (which also sends the form, for the
  // server to price it and cap the points again) and the points typed in, the change
  // follows the cash tendered, and a scanner's keystrokes land in the barcode field.
  // The server prices the sale again when it is completed.
  var till = document.getElementById('till');
  if (till) {
    var scanField = document.getElementById('scan');
    var tillPoints = document.getElementById('points');
    var tendered = document.getElementById('tendered');
    var tillYuan = function (f) { return (f / 100).toFixed(2); };
    var tillDue = function () {
      var due = parseInt(till.dataset.subtotal, 10) || 0;
      var coupon = till.querySelector('input[name=coupon]:checked');
      if (coupon) {
        var couponOff = parseInt(coupon.dataset.off, 10) || 0;
        document.getElementById('coupon-off').textContent = '-¥' + tillYuan(couponOff);
        document.getElementById('coupon-line').hidden = couponOff <= 0;
        due = Math.max(0, due - couponOff);
      }
      if (tillPoints) {
        var n = Math.max(0, parseInt(tillPoints.value, 10) || 0);
        var off = n * (parseInt(till.dataset.pointValue, 10) || 0);
        document.getElementById('points-off').textContent = '-¥' + tillYuan(off);
        document.getElementById('points-line').hidden = off <= 0;
        due = Math.max(0, due - off);
      }
      return due;
    };
    var tillRefresh = function () {
      var due = tillDue();
      document.getElementById('due').textContent = '¥' + tillYuan(due);
      document.getElementById('complete-amount').textContent = '¥' + tillYuan(due);
      var change = document.getElementById('change');
      if (tendered && change) {
        var given = Math.round(parseFloat(tendered.value) * 100);
        change.textContent = isNaN(given) || given < due ? '—' : '¥' + tillYuan(given - due);
      }
    };
    if (tillPoints) { tillPoints.addEventListener('input', tillRefresh); }
    if (tendered) { tendered.addEventListener('input', tillRefresh); }
    // WeChat and Alipay codes: the payment code field, focused for the scanner; its
    // Enter completes the sale (the server also takes a code sent with the form's
    // first button as completing it).
    var authCode = document.getElementById('auth-code');
    var completeButton = document.getElementById('complete');
    till.querySelectorAll('input[name=method]').forEach(function (radio) {
      radio.addEventListener('change', function () {
        var code = radio.value === 'wechat_code' || radio.value === 'alipay_code';
        document.getElementById('cash-box').hidden = radio.value !== 'cash';
        document.getElementById('code-box').hidden = !code;
        if (code && authCode) { authCode.focus(); }
      });
    });
    if (authCode && completeButton) {
      authCode.addEventListener('keydown', function (e) {
        if (e.key === 'Enter' && authCode.value.trim() && !completeButton.disabled && till.requestSubmit) {
          e.preventDefault();
          till.requestSubmit(completeButton);
        }
      });
    }
    // Keys typed with nothing focused (a scanner, after a tap on the page) go to the
    // barcode field.
    document.addEventListener('keydown', function (e) {
      var target = e.target;
      var typing = target && (target.tagName === 'INPUT' || target.tagName === 'SELECT' || target.tagName === 'TEXTAREA');
      if (!typing && scanField && e.key.length === 1 && !e.ctrlKey && !e.metaKey && !e.altKey) { scanField.focus(); }
    });
    // One tap completes a sale; the sale id makes a second one harmless anyway.
    till.addEventListener('submit', function (e) {
      if (e.submitter && e.submitter.value === 'complete') {
        var button = e.submitter;
        setTimeout(function () { button.disabled = true; }, 0);
      }
    });
    tillRefresh();
  }

  // Receipt: print it.
  document.querySelectorAll('[data-print]').forEach(function (button) {
    button.addEventListener('click', function () { window.print(); });
  });
})();
