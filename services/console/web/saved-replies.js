// Saved replies in the reply box, from the keyboard: "/" at the start of
// a line (or Alt+/ anywhere) opens the list with its filter focused;
// typing filters by shortcut, title or language; arrows choose; Enter
// inserts the text at the cursor, where it can be edited before sending;
// Escape goes back to the reply (giving back the "/" and what was typed).
// The "Saved replies" button opens the same list. The texts are the
// line's, written into the page by the server; nothing here builds markup
// or fills anything in about the client.
(function () {
  "use strict";
  var box = document.getElementById("saved-replies");
  var body = document.getElementById("body");
  var filter = document.getElementById("saved-filter");
  var list = document.getElementById("saved-list");
  var none = document.getElementById("saved-none");
  var status = document.getElementById("saved-status");
  if (!box || !body || !filter || !list) { return; }
  var options = Array.prototype.slice.call(list.querySelectorAll("[role=option]"));
  var active = null;
  // bySlash: the list was opened by typing "/", which Escape gives back.
  var bySlash = false;

  function visible() { return options.filter(function (o) { return !o.hidden; }); }

  function setActive(o) {
    if (active) { active.setAttribute("aria-selected", "false"); active.classList.remove("active"); }
    active = o;
    if (o) {
      o.setAttribute("aria-selected", "true");
      o.classList.add("active");
      filter.setAttribute("aria-activedescendant", o.id);
      o.scrollIntoView({ block: "nearest" });
    } else {
      filter.removeAttribute("aria-activedescendant");
    }
  }

  // Shortcuts that begin with what was typed come first, then any reply
  // whose shortcut, title or language holds it.
  function applyFilter() {
    var q = filter.value.trim().toLowerCase().replace(/^\//, "");
    var first = null, firstPrefix = null;
    options.forEach(function (o) {
      var shortcut = o.dataset.shortcut;
      var hay = (shortcut + " " + o.dataset.language + " " + o.textContent).toLowerCase();
      o.hidden = q !== "" && hay.indexOf(q) < 0;
      if (!o.hidden) {
        first = first || o;
        if (!firstPrefix && shortcut.indexOf(q) === 0) { firstPrefix = o; }
      }
    });
    if (none) { none.hidden = first !== null; }
    setActive(firstPrefix || first);
  }

  function open(slash) {
    bySlash = slash;
    box.open = true;
    filter.value = "";
    applyFilter();
    filter.focus();
  }

  function back(giveBack) {
    var typed = giveBack && bySlash ? "/" + filter.value.replace(/^\//, "") : "";
    box.open = false;
    bySlash = false;
    body.focus();
    if (typed) { insert(typed); }
  }

  // insert puts text at the cursor of the reply (replacing a selection),
  // and leaves the cursor after it.
  function insert(text) {
    var start = body.selectionStart, end = body.selectionEnd;
    body.value = body.value.slice(0, start) + text + body.value.slice(end);
    var at = start + text.length;
    body.setSelectionRange(at, at);
    body.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // choose inserts a reply, unless the reply would then be longer than
  // the box allows (one SMS body): then it says so and inserts nothing,
  // rather than cut a text short or lose what the worker wrote.
  function choose(o) {
    if (!o) { return; }
    var text = o.querySelector(".saved-text").textContent;
    var room = body.maxLength > 0 ? body.maxLength - (body.value.length - (body.selectionEnd - body.selectionStart)) : Infinity;
    if (text.length > room) {
      if (status) { status.textContent = "Too long to insert: the reply would pass " + body.maxLength + " characters. Shorten it first."; status.hidden = false; }
      swallowEnter = false;
      return;
    }
    if (status) { status.hidden = true; }
    back(false);
    insert(text);
  }

  // A "/" typed where a shortcut can start (the start of the reply or of a
  // line: "and/or" stays as typed) is taken out again and opens the list.
  // Read from the input event, not the key: phones' keyboards often do not
  // say which key was pressed.
  body.addEventListener("input", function (e) {
    var at = body.selectionStart;
    if (e.inputType !== "insertText" || e.data !== "/" || at !== body.selectionEnd || at < 1 || body.value.charAt(at - 1) !== "/") { return; }
    if (at > 1 && body.value.charAt(at - 2) !== "\n") { return; }
    body.value = body.value.slice(0, at - 1) + body.value.slice(at);
    body.setSelectionRange(at - 1, at - 1);
    open(true);
  });
  // Alt+/ opens it anywhere.
  body.addEventListener("keydown", function (e) {
    if (e.altKey && !e.ctrlKey && !e.metaKey && (e.key === "/" || e.code === "Slash")) {
      e.preventDefault();
      open(false);
    }
  });

  // Enter chooses on its keydown, and the reply box then has the focus:
  // the key's keypress, which some browsers and drivers still send, must
  // neither add a line there nor submit the form from the filter.
  var swallowEnter = false;
  body.addEventListener("keypress", function (e) { if (swallowEnter && e.key === "Enter") { e.preventDefault(); } });
  body.addEventListener("keyup", function (e) { if (e.key === "Enter") { swallowEnter = false; } });
  filter.addEventListener("keypress", function (e) { if (e.key === "Enter") { e.preventDefault(); } });

  filter.addEventListener("input", applyFilter);
  filter.addEventListener("keydown", function (e) {
    var v = visible(), i = v.indexOf(active);
    switch (e.key) {
    case "ArrowDown":
      e.preventDefault();
      setActive(v[Math.min(i + 1, v.length - 1)] || null);
      break;
    case "ArrowUp":
      e.preventDefault();
      setActive(v[Math.max(i - 1, 0)] || null);
      break;
    case "Home":
    case "End":
      if (v.length) { e.preventDefault(); setActive(e.key === "Home" ? v[0] : v[v.length - 1]); }
      break;
    case "Enter":
      // Never submits the reply: Enter chooses.
      e.preventDefault();
      swallowEnter = active !== null;
      choose(active);
      break;
    case "Escape":
      e.preventDefault();
      back(true);
      break;
    }
  });

  list.addEventListener("click", function (e) {
    var o = e.target.closest("[role=option]");
    if (o) { choose(o); }
  });

  // The button (the list's summary) opens it with the filter focused.
  box.addEventListener("toggle", function () {
    if (box.open && document.activeElement !== filter) {
      bySlash = false;
      filter.value = "";
      applyFilter();
      filter.focus();
    }
  });
})();
