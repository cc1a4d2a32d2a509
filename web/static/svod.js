/* The status page's conveniences; the filters and the list work without them.
   A file rather than an inline script: the Content-Security-Policy allows scripts of
   this site only (web/security.py). */
document.querySelectorAll("form.filters select").forEach(function (select) {
  select.addEventListener("change", function () { select.form.submit(); });
});
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  var area = document.getElementById(button.dataset.copy);
  var note = button.parentNode.querySelector(".copy-status");
  button.hidden = false;
  function done(ok) {
    note.textContent = ok ? "Скопировано." : "Не получилось скопировать: выделите текст и нажмите Ctrl+C.";
  }
  function fallback() {
    area.focus();
    area.select();
    try { done(document.execCommand("copy")); } catch (e) { done(false); }
  }
  button.addEventListener("click", function () {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(area.value).then(function () { done(true); }, fallback);
    } else {
      fallback();
    }
  });
});
