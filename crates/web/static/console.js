// The console's charts: each <div class="chart" data-chart="…"> carries its ECharts
// option as JSON in a <script type="application/json" id="…"> beside it.
(function () {
  function draw() {
    if (!window.echarts) return;
    document.querySelectorAll('[data-chart]').forEach(function (el) {
      var source = document.getElementById(el.getAttribute('data-chart'));
      if (!source) return;
      var chart = window.echarts.init(el);
      chart.setOption(JSON.parse(source.textContent));
      window.addEventListener('resize', function () { chart.resize(); });
      el.setAttribute('data-drawn', 'yes');
    });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', draw); else draw();
})();
