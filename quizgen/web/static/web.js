// quizgen serve: the live "read as" line under each answer box.
// Progressive enhancement: without this file the page works (saving a draft shows the same
// line, computed by the server). It sends only what the student typed and the question id;
// the server parses it without the key, so the reply cannot tell right from wrong.
// Text is written with textContent only, never as HTML.
(function () {
  "use strict";
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');
  var urlMeta = document.querySelector('meta[name="preview-url"]');
  if (!tokenMeta || !urlMeta || !window.fetch) return;
  var token = tokenMeta.content;
  var url = urlMeta.content;
  var DELAY_MS = 250;

  function show(out, state, text, value) {
    out.dataset.state = state;
    out.querySelector(".read-as-text").textContent = text;
    out.querySelector(".read-as-value").textContent = value ? "= " + value : "";
  }

  function attach(input) {
    var out = document.getElementById(input.dataset.preview);
    if (!out) return;
    var timer = null;
    var sent = 0;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var mine = ++sent;
        if (!input.value.trim()) { show(out, "empty", "", ""); return; }
        fetch(url, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
          body: JSON.stringify({ question: input.dataset.question, text: input.value })
        }).then(function (response) {
          return response.json().then(function (body) { return [response.ok, body]; });
        }).then(function (result) {
          if (mine !== sent) return; // an older reply arriving late
          var body = result[1];
          if (body.ok) show(out, "ok", body.read_as, body.value);
          else if (body.error) show(out, "error", body.error, "");
          else show(out, "empty", "", "");
        }).catch(function () { /* offline: the server still previews on save */ });
      }, DELAY_MS);
    });
  }

  var inputs = document.querySelectorAll("input[data-preview]");
  for (var i = 0; i < inputs.length; i++) {
    if (!inputs[i].readOnly) attach(inputs[i]);
  }
})();
