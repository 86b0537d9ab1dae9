// The sandbox page: live list of sent texts (server-sent events) and a send form
// that works without reloading. Text is only ever set with textContent.
"use strict";
(function () {
  const list = document.getElementById("sent");
  const empty = document.getElementById("empty");
  const form = document.getElementById("send-form");
  const result = document.getElementById("result");
  const names = new Map();
  for (const opt of document.getElementById("line").options) {
    names.set(opt.value, opt.textContent.replace(/\s*\(.*\)$/, ""));
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function render(m) {
    const li = el("li");
    li.dataset.sid = m.sid;
    const meta = el("p", "meta");
    const name = names.get(m.from);
    meta.append(el("span", "from", (name ? name + " " : "") + m.from), " → ", el("span", "to", m.to), " · ");
    const t = el("time", "", new Date(m.sent_at).toLocaleTimeString());
    t.dateTime = m.sent_at;
    meta.append(t, " · ", el("span", "status", m.status));
    li.append(meta, el("p", "body", m.body));
    return li;
  }

  function upsert(m) {
    for (const li of list.children) {
      if (li.dataset.sid === m.sid) {
        li.querySelector(".status").textContent = m.status;
        return;
      }
    }
    list.prepend(render(m));
    empty.hidden = true;
  }

  function reload() {
    fetch("messages", { headers: { Accept: "application/json" } })
      .then((r) => r.json())
      .then((msgs) => {
        list.replaceChildren(...msgs.reverse().map(render));
        empty.hidden = msgs.length > 0;
      })
      .catch(() => {});
  }

  const events = new EventSource("events");
  events.onopen = reload; // also resyncs after a reconnect
  events.onmessage = (e) => upsert(JSON.parse(e.data));

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    fetch("send", {
      method: "POST",
      headers: { Accept: "application/json" },
      body: new URLSearchParams(new FormData(form)),
    })
      .then((r) => r.json())
      .then((res) => {
        result.replaceChildren();
        if (res.error) {
          result.append(el("p", "error", res.error));
          return;
        }
        const p = el("p", "", "Webhook answered ");
        p.append(el("strong", "", res.status + " " + res.status_text), " for message " + res.message_sid + ".");
        result.append(p);
        if (res.answer) result.append(el("pre", "", res.answer));
        form.elements.body.value = "";
        form.elements.body.focus();
      })
      .catch(() => result.replaceChildren(el("p", "error", "The sandbox could not be reached.")))
      .finally(() => { button.disabled = false; });
  });
})();
