// Small behaviours kept out of the HTML so the Content-Security-Policy can forbid inline
// scripts: confirmation before destructive forms, and selects that submit on change.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
document.addEventListener("change", function (event) {
  if (event.target.hasAttribute && event.target.hasAttribute("data-autosubmit")) {
    event.target.form.submit();
  }
});
// Upload progress for forms marked `data-upload-progress="<progress id>"` (htmx posts).
document.addEventListener("htmx:xhr:progress", function (event) {
  var form = event.target.closest && event.target.closest("form[data-upload-progress]");
  if (!form || !event.detail.lengthComputable) { return; }
  var bar = document.getElementById(form.getAttribute("data-upload-progress"));
  var line = document.getElementById(form.getAttribute("data-upload-progress") + "-line");
  var pct = Math.round(100 * event.detail.loaded / event.detail.total);
  bar.hidden = false;
  bar.value = pct;
  if (line) {
    var done = form.getAttribute("data-upload-done") || "Uploaded; reading the file…";
    line.textContent = pct < 100 ? "Uploading: " + pct + "%" : done;
  }
});
document.addEventListener("htmx:afterRequest", function (event) {
  var form = event.target.closest && event.target.closest("form[data-upload-progress]");
  if (!form) { return; }
  var line = document.getElementById(form.getAttribute("data-upload-progress") + "-line");
  if (line) { line.textContent = ""; }
  document.getElementById(form.getAttribute("data-upload-progress")).hidden = true;
});
