// The console's charts: each <div class="chart" data-option="…"> carries its ECharts
// option as JSON (built by the server); this draws them once ECharts has loaded.
(function () {
  function draw() {
    if (!window.echarts) return;
    document.querySelectorAll('.chart[data-option]').forEach(function (el) {
      var chart = window.echarts.init(el);
      chart.setOption(JSON.parse(el.getAttribute('data-option')));
      window.addEventListener('resize', function () { chart.resize(); });
      el.setAttribute('data-drawn', 'yes');
    });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', draw); else draw();
})();
