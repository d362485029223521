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

// The catalog import: a CSV file chosen from disk fills the text box. Read as UTF-8, or
// as GB18030 when it is not UTF-8 (Excel on Chinese Windows saves CSV that way).
(function () {
  function wire() {
    var input = document.getElementById('csv-file');
    var text = document.querySelector('textarea[name="csv"]');
    if (!input || !text || !window.TextDecoder || !window.Blob || !Blob.prototype.arrayBuffer) return;
    document.getElementById('csv-file-row').hidden = false;
    input.addEventListener('change', function () {
      var file = input.files && input.files[0];
      if (!file) return;
      file.arrayBuffer().then(function (bytes) {
        var decoded;
        try {
          decoded = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
        } catch (notUtf8) {
          decoded = new TextDecoder('gb18030').decode(bytes);
        }
        text.value = decoded.replace(/^\uFEFF/, '');
      });
    });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', wire); else wire();
})();
