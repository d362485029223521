// The big screen: listens to the live board's server-sent events and redraws the
// figures, the per-minute chart (ECharts) and the store leaderboard, without reloading.
(function () {
  'use strict';
  var body = document.body;
  var yuan = function (fen) { return '¥' + (fen / 100).toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 }); };
  var CHANNELS = { mobile: '手机 Mobile', wechat: '微信 WeChat', alipay: '支付宝 Alipay', web: '网页 Web', pos: '门店 POS', api: 'API' };
  var chart = null;
  function draw(board) {
    document.getElementById('gmv').textContent = yuan(board.today.gmv);
    document.getElementById('orders').textContent = board.today.placed.toLocaleString('zh-CN');
    var pace = board.orders_last_minute / 60;
    document.getElementById('pace').textContent = pace >= 10 ? Math.round(pace).toLocaleString('zh-CN') : pace.toFixed(2);
    document.getElementById('mobile').textContent = (board.today.mobile_share_bp / 100).toFixed(1) + '%';
    document.getElementById('clock').textContent = new Date(board.at).toLocaleTimeString('zh-CN');
    function rank(id, items, count) {
      var list = document.getElementById(id);
      list.textContent = '';
      items.slice(0, count).forEach(function (item) {
        var li = document.createElement('li');
        li.textContent = item.name.zh + ' ';
        var amount = document.createElement('span');
        amount.textContent = yuan(item.gmv);
        li.appendChild(amount);
        list.appendChild(li);
      });
    }
    rank('top-stores', board.top_stores, 6);
    rank('top-products', board.top_products, 5);
    if (!window.echarts) { return; }
    if (!chart) { chart = window.echarts.init(document.getElementById('gmv-chart'), 'dark', { renderer: 'canvas' }); }
    // The last hour, minute by minute, one line per channel.
    var end = Math.floor(Date.parse(board.at) / 60000) * 60000;
    var minutes = [];
    for (var t = end - 59 * 60000; t <= end; t += 60000) { minutes.push(t); }
    var byChannel = {};
    board.today.minutes.forEach(function (m) {
      var at = Date.parse(m.minute);
      (byChannel[m.channel] = byChannel[m.channel] || {})[at] = m.paid_amount / 100;
    });
    var series = Object.keys(byChannel).map(function (c) {
      return { name: CHANNELS[c] || c, type: 'line', smooth: true, showSymbol: false, areaStyle: { opacity: 0.15 },
        data: minutes.map(function (t) { return byChannel[c][t] || 0; }) };
    });
    chart.setOption({
      // Redrawn every second: no animation, or the lines would always be half drawn.
      backgroundColor: 'transparent', animation: false,
      legend: { top: 0, textStyle: { fontSize: 14 } },
      grid: { left: 60, right: 20, top: 40, bottom: 30 },
      xAxis: { type: 'category', data: minutes.map(function (t) { return new Date(t).toLocaleTimeString('zh-CN', { hour: '2-digit', minute: '2-digit' }); }) },
      yAxis: { type: 'value', axisLabel: { formatter: '¥{value}' } },
      tooltip: { trigger: 'axis' },
      series: series
    }, { replaceMerge: ['series'] });
  }
  window.addEventListener('resize', function () { if (chart) { chart.resize(); } });
  var status = document.getElementById('connection');
  var source = new EventSource(body.getAttribute('data-stream'));
  source.addEventListener('board', function (e) {
    status.textContent = '实时 · live';
    draw(JSON.parse(e.data));
  });
  // EventSource reconnects by itself; say so meanwhile.
  source.onerror = function () { status.textContent = '重新连接中 · reconnecting'; };
})();
