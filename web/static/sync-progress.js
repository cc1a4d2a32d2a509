/* The admin dashboard's «Обновить сейчас»: convenience only, without it the page shows the
   progress as of its loading. While a sync is asked for or running, follow it every two
   seconds (/admin/sync/progress); when it has ended, reload the page with its results. */
(function () {
  "use strict";
  var line = document.getElementById("sync-progress");
  if (!line || line.hidden) { return; }
  function poll() {
    fetch(line.dataset.url, {credentials: "same-origin"}).then(function (answer) {
      return answer.ok ? answer.json() : null;
    }).then(function (progress) {
      if (!progress) { return; }
      if (!progress.active) { window.location.reload(); return; }
      line.textContent = progress.text;
      window.setTimeout(poll, 2000);
    }, function () { window.setTimeout(poll, 10000); });
  }
  window.setTimeout(poll, 2000);
})();
