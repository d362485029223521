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

// Flash sale: the countdown runs on the server's clock (never the phone's: the offset
// between them is taken from the page's own timestamp); at zero the page asks the
// server for the sale again and opens buying; while it is on, units left stay fresh
// every few seconds; buying goes through the JSON API. Without this the page still
// shows the sale as the server saw it, and its buttons post a form.
(function () {
  var sale = document.getElementById('flash-sale');
  if (!sale || !window.fetch) { return; }
  var d = sale.dataset;
  var phase = d.phase;
  var startsMs = Number(d.startsMs);
  var endsMs = Number(d.endsMs);
  // The server stamped the page just before its first byte left: that is when it
  // arrived, as near as the browser can tell (else: now).
  var arrived = Date.now();
  try {
    var nav = performance.getEntriesByType('navigation')[0];
    if (nav && nav.responseStart > 0 && performance.timeOrigin) { arrived = performance.timeOrigin + nav.responseStart; }
  } catch (e) { /* an older browser: when the script runs */ }
  var offset = Number(d.serverMs) - arrived;
  var serverNow = function () { return Date.now() + offset; };
  // RFC 3339 with any number of fractional digits (Safari's Date.parse is picky).
  var parseTime = function (text) {
    var m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:Z|([+-])(\d\d):(\d\d))$/i.exec(text || '');
    if (!m) { return NaN; }
    var ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], m[7] ? Math.floor(Number('0.' + m[7]) * 1000) : 0);
    if (m[8]) { ms -= (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10])) * 60000; }
    return ms;
  };
  var pad = function (n) { return (n < 10 ? '0' : '') + n; };
  // As the server writes it: "2天 03:04:05", or "03:04:05" within a day.
  var clockText = function (ms) {
    var s = Math.max(0, Math.ceil(ms / 1000));
    var days = Math.floor(s / 86400);
    var text = pad(Math.floor(s % 86400 / 3600)) + ':' + pad(Math.floor(s % 3600 / 60)) + ':' + pad(s % 60);
    return days > 0 ? d.tDays.replace('{n}', days) + ' ' + text : text;
  };
  var phaseText = { upcoming: d.tUpcoming, live: d.tLive, sold_out: d.tSoldOut, ended: d.tEnded };
  var reasons = {
    sold_out: d.eSoldOut, limit_reached: d.eLimitReached, sale_not_started: d.eSaleNotStarted,
    sale_ended: d.eSaleEnded, members_only: d.eMembersOnly, not_in_sale: d.eNotInSale,
  };
  var clockBox = document.getElementById('fs-clock');
  var clockLabel = document.getElementById('fs-clock-label');
  var clock = document.getElementById('fs-countdown');
  var message = document.getElementById('fs-message');
  var say = function (text, good) {
    message.textContent = text || '';
    message.hidden = !text;
    message.classList.toggle('error', !good);
  };
  // A purchase on its way; refused for good (the limit reached, members only).
  var busy = false;
  var blocked = d.blocked === '1';
  var setButton = function (button) {
    var left = Number(button.closest('.fs-item').dataset.left) || 0;
    button.disabled = busy || blocked || phase !== 'live' || left <= 0;
    if (busy && button.dataset.buying) { return; }
    button.textContent = phase === 'upcoming' ? d.tNotStarted : phase === 'ended' ? d.tEnded : left <= 0 ? d.tSoldOut : d.tBuy;
  };
  var buttons = function () { sale.querySelectorAll('[data-buy]').forEach(setButton); };

  var poll = null;
  var inflight = false;
  var refresh;
  var schedule = function (ms) {
    clearTimeout(poll);
    poll = null;
    if (!document.hidden && phase !== 'ended') { poll = setTimeout(refresh, ms); }
  };
  // Counts down to the start (or the end), redrawn on the server's whole seconds; at
  // zero the server says what comes next.
  var ticker = null;
  var firedFor = null;
  var tick = function () {
    clearTimeout(ticker);
    if (phase === 'ended') { clockBox.hidden = true; return; }
    clockBox.hidden = false;
    var target = phase === 'upcoming' ? startsMs : endsMs;
    var left = target - serverNow();
    clockLabel.textContent = phase === 'upcoming' ? d.tStartsIn : d.tEndsIn;
    clock.textContent = clockText(left);
    if (left <= 0) {
      if (firedFor !== target) { firedFor = target; refresh(); }
      return;
    }
    ticker = setTimeout(tick, (left % 1000) || 1000);
  };
  var render = function (v) {
    phase = v.phase;
    sale.dataset.phase = phase;
    sale.className = sale.className.replace(/\bfs-(upcoming|live|sold_out|ended)\b/, 'fs-' + phase);
    document.getElementById('fs-phase').textContent = phaseText[phase] || '';
    document.getElementById('fs-sold-out-note').hidden = phase !== 'sold_out';
    var pools = {};
    (v.items || []).forEach(function (i) { pools[i.sku_id] = i.pool_size; });
    (v.products || []).forEach(function (p) {
      var li = sale.querySelector('.fs-item[data-sku="' + p.sku_id + '"]');
      if (!li) { return; }
      var pool = pools[p.sku_id] || p.left + p.taken;
      li.dataset.left = p.left;
      var n = phase === 'upcoming' ? pool : phase === 'ended' ? p.taken : p.left;
      var words = phase === 'upcoming' ? d.tSetAside : phase === 'ended' ? d.tSold : d.tLeft;
      li.querySelector('[data-stock]').textContent = words.replace('{n}', n);
      var taken = pool > 0 ? Math.floor((pool - p.left) * 100 / pool) : 100;
      li.querySelector('[data-bar]').style.width = Math.min(100, Math.max(0, taken)) + '%';
    });
    buttons();
  };
  refresh = function () {
    if (inflight) { return; }
    inflight = true;
    fetch(d.api, { credentials: 'same-origin', cache: 'no-store', headers: { accept: 'application/json' } })
      .then(function (r) { if (!r.ok) { throw new Error('status ' + r.status); } return r.json(); })
      .then(function (v) {
        inflight = false;
        var received = Date.now();
        // Every answer is a lower bound of the server's clock (it may be a second old):
        // keep the best, unless the phone's clock was changed meanwhile.
        var estimate = parseTime(v.server_time) - received;
        if (!isNaN(estimate)) { offset = Math.abs(estimate - offset) > 300000 ? estimate : Math.max(offset, estimate); }
        startsMs = parseTime(v.starts_at) || startsMs;
        endsMs = parseTime(v.ends_at) || endsMs;
        render(v);
        tick();
        if (phase === 'upcoming' && serverNow() >= startsMs) { schedule(500); } // about to open
        else if (phase === 'live' && serverNow() >= endsMs) { schedule(500); } // about to close
        else if (phase === 'live') { schedule(3000); }
        else if (phase === 'sold_out') { schedule(5000); } // units of unpaid orders come back
        else { schedule(60000); }
      }, function () {
        inflight = false;
        schedule(3000);
      });
  };
  // A phone that slept: its timers stopped; look again.
  document.addEventListener('visibilitychange', function () {
    if (document.hidden) { clearTimeout(poll); poll = null; return; }
    refresh();
  });

  sale.querySelectorAll('[data-buy]').forEach(function (button) {
    button.addEventListener('click', function (e) {
      e.preventDefault();
      if (busy || button.disabled) { return; }
      var body = { sku_id: button.value, quantity: 1 };
      var address = document.getElementById('fs-address');
      if (address) {
        if (!address.value) { say(d.eAddress); return; }
        body.address_id = address.value;
      }
      busy = true;
      button.dataset.buying = '1';
      button.textContent = d.tBuying;
      buttons();
      say('');
      var release = function (ms) {
        setTimeout(function () { busy = false; delete button.dataset.buying; buttons(); }, ms);
      };
      fetch(d.api + '/orders', {
        method: 'POST', credentials: 'same-origin', cache: 'no-store',
        headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': d.csrf },
        body: JSON.stringify(body),
      })
        .then(function (r) {
          return r.json().then(function (b) { return [r.status, b || {}]; }, function () { return [r.status, {}]; });
        })
        .then(function (res) {
          var status = res[0];
          var b = res[1];
          var error = b.error || {};
          if (status === 201 && b.order_id) {
            // Bought: the order page has the pay button (and the time left to pay).
            say(d.tGotIt, true);
            location.assign(d.orders + encodeURIComponent(b.order_id));
            return;
          }
          if (status === 401) { location.assign(d.login); return; }
          if (status === 409) {
            say(reasons[error.code] || error.message || d.eOther);
            if (error.code === 'limit_reached' || error.code === 'members_only') { blocked = true; }
            if (error.code === 'sold_out') { button.closest('.fs-item').dataset.left = 0; }
            release(0);
            refresh();
            return;
          }
          if (status === 429 || status === 503) { say(d.eBusy); release(1000); return; }
          if (status === 403) { say(d.eExpired); release(0); return; }
          var field = error.fields && error.fields[0] ? error.fields[0].field : '';
          say(field === 'address_id' ? d.eAddress : d.eOther);
          release(1000);
        }, function () {
          // No answer (a weak network): try again in a moment.
          say(d.eBusy);
          release(1000);
        });
    });
  });

  tick();
  schedule(phase === 'live' ? 3000 : phase === 'sold_out' ? 5000 : 60000);
})();

// Paying: the page waits for the provider's notification (asking the order's status
// every two seconds) and moves on to the order once it is paid. Inside WeChat it opens
// WeChat's payment sheet with the signed parameters the server prepared.
(function () {
  var waiting = document.getElementById('pay-waiting');
  if (!waiting) { return; }
  var statusUrl = waiting.getAttribute('data-status-url');
  var orderUrl = waiting.getAttribute('data-order-url');
  function poll() {
    fetch(statusUrl, { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (order) {
        if (order && order.status !== 'pending_payment') { window.location.href = orderUrl; return; }
        setTimeout(poll, 2000);
      }, function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 2000);

  var params = document.getElementById('jsapi-params');
  if (!params) { return; }
  var request = JSON.parse(params.textContent);
  function openSheet() {
    window.WeixinJSBridge.invoke('getBrandWCPayRequest', request, function (res) {
      // "ok" only means the sheet closed after paying; the notification decides.
      if (res && res.err_msg === 'get_brand_wcpay_request:ok') { poll(); }
    });
  }
  if (window.WeixinJSBridge) { openSheet(); } else {
    document.addEventListener('WeixinJSBridgeReady', openSheet, false);
  }
})();
