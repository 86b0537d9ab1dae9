// The sandbox page: live lists of sent texts and placed calls (server-sent
// events), a send form, and key presses on calls, all without reloading.
// Text is only ever set with textContent.
"use strict";
(function () {
  const list = document.getElementById("sent");
  const empty = document.getElementById("empty");
  const calls = document.getElementById("calls");
  const noCalls = document.getElementById("no-calls");
  const form = document.getElementById("send-form");
  const result = document.getElementById("result");
  const names = new Map();
  for (const opt of document.getElementById("line").options) {
    const name = opt.textContent.replace(/\s*\(.*\)$/, "");
    names.set(opt.value, name);
    if (opt.dataset.whatsapp) names.set(opt.dataset.whatsapp, name);
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function meta(from, to, at, status) {
    const p = el("p", "meta");
    const name = names.get(from);
    p.append(el("span", "from", (name ? name + " " : "") + from), " → ", el("span", "to", to), " · ");
    const t = el("time", "", new Date(at).toLocaleTimeString());
    t.dateTime = at;
    p.append(t, " · ", el("span", "status", status));
    return p;
  }

  function renderMessage(m) {
    const li = el("li");
    li.dataset.sid = m.sid;
    li.append(meta(m.from, m.to, m.sent_at, m.status), el("p", "body", m.body));
    return li;
  }

  function renderCall(c) {
    const li = el("li");
    li.dataset.sid = c.sid;
    li.append(meta(c.from, c.to, c.created_at, c.status), el("p", "said", (c.said || []).join(" ")));
    const presses = el("ul", "presses");
    for (const p of c.presses || []) {
      presses.append(el("li", "", "Pressed " + p.digits + ": " + (p.said || []).join(" ")));
    }
    li.append(presses);
    if (c.gather_action) {
      const keys = el("div", "keys");
      for (const d of ["1", "2"]) {
        const b = el("button", "", "Press " + d);
        b.type = "button";
        b.addEventListener("click", () => press(c.sid, d, keys));
        keys.append(b);
      }
      li.append(keys);
    }
    return li;
  }

  function upsert(into, none, item, render) {
    const fresh = render(item);
    for (const li of into.children) {
      if (li.dataset.sid === item.sid) {
        li.replaceWith(fresh);
        return;
      }
    }
    into.prepend(fresh);
    none.hidden = true;
  }

  function fill(into, none, items, render) {
    into.replaceChildren(...items.reverse().map(render));
    none.hidden = items.length > 0;
  }

  function reload() {
    const get = (path) => fetch(path, { headers: { Accept: "application/json" } }).then((r) => r.json());
    get("messages").then((msgs) => fill(list, empty, msgs, renderMessage)).catch(() => {});
    get("calls").then((cs) => fill(calls, noCalls, cs, renderCall)).catch(() => {});
  }

  function showResult(res) {
    result.replaceChildren();
    if (res.error) {
      result.append(el("p", "error", res.error));
      return;
    }
    const p = el("p", "", "Webhook answered ");
    const what = res.call_sid ? " for call " + res.call_sid : " for message " + res.message_sid;
    p.append(el("strong", "", res.status + " " + res.status_text), what + ".");
    result.append(p);
    if (res.answer) result.append(el("pre", "", res.answer));
  }

  function post(path, body) {
    return fetch(path, { method: "POST", headers: { Accept: "application/json" }, body: body })
      .then((r) => r.json())
      .catch(() => ({ error: "The sandbox could not be reached." }));
  }

  function press(sid, digits, keys) {
    for (const b of keys.querySelectorAll("button")) b.disabled = true;
    post("press", new URLSearchParams({ call: sid, digits: digits })).then(showResult);
  }

  const events = new EventSource("events");
  events.onopen = reload; // also resyncs after a reconnect
  events.onmessage = (e) => {
    const u = JSON.parse(e.data);
    if (u.message) upsert(list, empty, u.message, renderMessage);
    if (u.call) upsert(calls, noCalls, u.call, renderCall);
  };

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    post("send", new URLSearchParams(new FormData(form)))
      .then((res) => {
        showResult(res);
        if (!res.error) {
          form.elements.body.value = "";
          form.elements.body.focus();
        }
      })
      .finally(() => { button.disabled = false; });
  });
})();
