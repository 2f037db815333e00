// The register import: the upload's progress on the page while the file goes up.
document.addEventListener("htmx:xhr:progress", function (e) {
  var bar = document.querySelector("#import-progress progress");
  if (bar && e.detail.lengthComputable) bar.value = Math.round((e.detail.loaded / e.detail.total) * 100);
});
