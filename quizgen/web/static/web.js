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

// quizgen serve: the teacher's table, updated in place.
// Every few seconds the page fetches /admin/table (the same rows, rendered by the server with
// autoescaping) and replaces only the rows that changed, so the scroll position, the focus and
// what the teacher is reading stay put. The fragment is parsed with DOMParser, which runs no
// script and loads nothing. Changes are announced by the polite status line (role="status");
// "Pause updates" stops the timer (WCAG 2.2.2). Without this file the page shows a Reload link.
(function () {
  "use strict";
  var live = document.getElementById("live");
  var body = document.getElementById("live-rows");
  if (!live || !body || !window.fetch || !window.DOMParser) return;
  var status = document.getElementById("live-status");
  var toggle = document.getElementById("live-toggle");
  var seconds = Math.max(1, parseInt(live.dataset.seconds, 10) || 5);
  var paused = live.dataset.paused === "1";
  var timer = null;

  function say(text) { if (status.textContent !== text) status.textContent = text; }

  function clock() {
    var d = new Date();
    return [d.getHours(), d.getMinutes(), d.getSeconds()].map(function (n) {
      return (n < 10 ? "0" : "") + n;
    }).join(":");
  }

  function focusables(row) { return row.querySelectorAll("a, button, input"); }

  // Replace a row's cells, keeping the focus on the same control if it was inside.
  function replaceRow(row, fresh) {
    var at = Array.prototype.indexOf.call(focusables(row), document.activeElement);
    row.className = fresh.className;
    row.replaceChildren.apply(row, Array.prototype.map.call(fresh.childNodes, function (n) {
      return document.importNode(n, true);
    }));
    if (at >= 0 && focusables(row)[at]) focusables(row)[at].focus();
  }

  function apply(doc) {
    ["submitted-count", "mean-score"].forEach(function (id) {
      var mine = document.getElementById(id), theirs = doc.getElementById(id);
      if (mine && theirs && mine.textContent !== theirs.textContent) {
        mine.textContent = theirs.textContent;
      }
    });
    var fresh = doc.getElementById("live-rows");
    if (!fresh) return [];
    var rows = {};
    Array.prototype.forEach.call(body.rows, function (r) { rows[r.dataset.student] = r; });
    var changed = [];
    Array.prototype.forEach.call(fresh.rows, function (r) {
      var mine = rows[r.dataset.student];
      if (!mine) {
        body.appendChild(document.importNode(r, true));
        changed.push(r.dataset.student);
      } else if (mine.innerHTML !== r.innerHTML) {
        replaceRow(mine, r);
        changed.push(r.dataset.student);
      }
    });
    return changed;
  }

  function update() {
    timer = null;
    if (paused) return;
    if (document.hidden) { schedule(); return; }
    fetch(live.dataset.url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (text) {
        var changed = apply(new DOMParser().parseFromString(text, "text/html"));
        if (changed.length) {
          say(live.dataset.updated.replace("{time}", clock())
            .replace("{students}", changed.join(", ")));
        }
      })
      .catch(function (e) { say(live.dataset.failed.replace("{reason}", e.message)); })
      .then(schedule);
  }

  function schedule() {
    if (!paused && timer === null) timer = setTimeout(update, seconds * 1000);
  }

  function show() {
    toggle.textContent = paused ? live.dataset.resume : live.dataset.pause;
    say(paused ? live.dataset.off : live.dataset.on);
  }

  toggle.hidden = false;
  toggle.addEventListener("click", function () {
    paused = !paused;
    if (paused && timer !== null) { clearTimeout(timer); timer = null; }
    show();
    if (!paused) update();
  });
  show();
  schedule();
})();

// quizgen serve: the LMS's deep-linking answer is a form posted to the LMS; send it at once
// (without this file the teacher presses its button).
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosubmit]");
  if (form) form.submit();
})();
