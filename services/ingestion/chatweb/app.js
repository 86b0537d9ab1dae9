// Helpline web chat. Everything a client or a worker wrote is shown with
// textContent: no message is ever parsed as HTML.
(() => {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const root = $("chat");
  const startSection = $("start");
  const startButton = $("start-button");
  const conversation = $("conversation");
  const list = $("messages");
  const form = $("composer");
  const input = $("body");
  const sendButton = $("send");
  const ended = $("ended");
  const newChatButton = $("new-chat");
  const leaveButton = $("leave");
  const pseudonym = $("pseudonym");
  const statusLine = $("status");
  const quickExitLink = $("quick-exit");

  let source = null; // the EventSource of the conversation
  let lastSeq = 0; // highest stream sequence received
  let shown = new Set(); // ids of the messages on screen
  let closed = false;
  let retryTimer = 0;
  let retryDelay = 0; // grows while the server keeps refusing the stream
  // A message that failed to send keeps its id, so sending it again can
  // never record it twice.
  let pending = { text: null, id: null };

  const say = (text) => { statusLine.textContent = text; };

  async function api(method, path, body) {
    const init = { method, credentials: "same-origin", cache: "no-store", headers: {} };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let resp;
    try {
      resp = await fetch("/api/chat" + path, init);
    } catch (e) {
      return { status: 0, data: { error: "We could not reach the chat. Check your connection and try again." } };
    }
    let data = {};
    try {
      data = await resp.json();
    } catch (e) {
      // No body (204), or not JSON: the status says enough.
    }
    return { status: resp.status, data };
  }

  function newID() {
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  }

  function timeText(iso) {
    const d = new Date(iso);
    return isNaN(d.getTime()) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function show(kind, item) {
    if (item.id) {
      if (shown.has(item.id)) return;
      shown.add(item.id);
    }
    const li = document.createElement("li");
    li.className = "msg " + (kind === "reply" ? "msg-team" : "msg-you");
    const who = document.createElement("p");
    who.className = "who";
    if (kind === "reply") {
      who.textContent = item.sender_name ? item.sender_name + ", from the team" : "The team";
    } else {
      who.textContent = "You";
    }
    const text = document.createElement("p");
    text.className = "text";
    text.textContent = item.unavailable ? "This message can no longer be shown." : item.text;
    li.append(who, text);
    if (item.at) {
      const t = document.createElement("time");
      t.dateTime = item.at;
      t.textContent = timeText(item.at);
      li.append(t);
    }
    list.append(li);
    li.scrollIntoView({ block: "nearest" });
  }

  function stopStream() {
    clearTimeout(retryTimer);
    if (source) {
      source.close();
      source = null;
    }
  }

  function connect() {
    stopStream();
    list.setAttribute("aria-busy", "true");
    source = new EventSource("/api/chat/events" + (lastSeq > 0 ? "?after=" + lastSeq : ""));
    const seen = (e) => {
      const n = Number(e.lastEventId);
      if (n > lastSeq) lastSeq = n;
    };
    source.addEventListener("message", (e) => { seen(e); show("message", JSON.parse(e.data)); });
    source.addEventListener("reply", (e) => { seen(e); show("reply", JSON.parse(e.data)); });
    source.addEventListener("ready", () => {
      retryDelay = 0;
      list.setAttribute("aria-busy", "false");
      say("");
    });
    source.addEventListener("closed", (e) => { seen(e); end(); });
    source.addEventListener("error", () => {
      if (closed || !source) return;
      if (source.readyState === EventSource.CLOSED) {
        // The server refused the stream, not a passing network error:
        // find out whether the chat still exists.
        stopStream();
        checkSession(true);
      } else {
        say("Reconnecting…");
      }
    });
  }

  function showConversation(data) {
    closed = false;
    pseudonym.textContent = data.pseudonym || "";
    startSection.hidden = true;
    conversation.hidden = false;
    ended.hidden = true;
    form.hidden = false;
    connect();
  }

  // end shows that the conversation ended. The client may still write:
  // the message reopens it, or opens their next conversation, and the
  // stream follows (send).
  function end() {
    closed = true;
    stopStream();
    list.setAttribute("aria-busy", "false");
    ended.hidden = false;
    say("This conversation has ended.");
  }

  // reset shows the start again. What the client was typing stays, to be
  // sent in a new chat, unless they asked to clear everything.
  function reset(message, clearInput) {
    stopStream();
    closed = false;
    lastSeq = 0;
    shown = new Set();
    pending = { text: null, id: null };
    list.replaceChildren();
    if (clearInput) input.value = "";
    conversation.hidden = true;
    startSection.hidden = false;
    say(message);
  }

  async function checkSession(afterError) {
    const r = await api("GET", "/session");
    if (r.status === 200 && afterError) {
      // The chat exists but the stream was refused (the service is busy
      // or restarting): try again, less and less often.
      retryDelay = Math.min(retryDelay ? retryDelay * 2 : 2000, 30000);
      say("Reconnecting…");
      retryTimer = setTimeout(() => showConversation(r.data), retryDelay);
    } else if (r.status === 200) {
      showConversation(r.data);
    } else if (r.status === 401) {
      reset(afterError ? "Your chat has ended or expired. You can start a new one." : "", false);
    } else {
      say("We lost the connection. Trying again…");
      retryTimer = setTimeout(() => checkSession(afterError), 5000);
    }
  }

  async function start() {
    startButton.disabled = true;
    newChatButton.disabled = true;
    say("Starting your chat…");
    const r = await api("POST", "/conversations", { line: root.dataset.line });
    startButton.disabled = false;
    newChatButton.disabled = false;
    if (r.status === 201) {
      reset("", false);
      showConversation(r.data);
      input.focus();
      return;
    }
    say(r.data.error || "We could not start the chat. Please try again.");
  }

  async function send(e) {
    e.preventDefault();
    const body = input.value;
    if (body.trim() === "") {
      say("Write a message first.");
      input.focus();
      return;
    }
    if (pending.text !== body) pending = { text: body, id: newID() };
    sendButton.disabled = true;
    say("Sending…");
    const r = await api("POST", "/messages", { id: pending.id, body });
    sendButton.disabled = false;
    switch (r.status) {
      case 202:
        show("message", { id: r.data.id, text: body, at: new Date().toISOString() });
        pending = { text: null, id: null };
        input.value = "";
        say("");
        input.focus();
        if (closed) {
          // The message reopened the conversation or opened a new one:
          // follow it again.
          closed = false;
          ended.hidden = true;
          connect();
        }
        return;
      case 409:
        // The chat is full: only a new chat goes on.
        end();
        form.hidden = true;
        say(r.data.error || "This conversation has ended.");
        return;
      case 401:
      case 410:
        reset(r.data.error, false);
        startButton.focus();
        return;
      default:
        say(r.data.error || "Your message was not sent. Please try again.");
    }
  }

  async function leave() {
    if (!window.confirm("Leave this chat? It will be removed from this browser and you cannot come back to it.")) return;
    const r = await api("DELETE", "/session");
    if (r.status === 204) {
      reset("You have left the chat. It is no longer on this browser.", true);
      startButton.focus();
    } else {
      say(r.data.error || "We could not leave the chat. Please try again.");
    }
  }

  // quickExit leaves at once for the line's neutral site: it tells the
  // server to end the session (keepalive: the request outlives the page),
  // empties the page, drops its history entry's state and replaces the
  // entry with the neutral site, so Back never comes back to the chat.
  // The chat page and its stream are sent with Cache-Control: no-store,
  // so nothing of the transcript is kept to be shown again.
  let exiting = false;
  function quickExit(e) {
    if (e) e.preventDefault();
    if (exiting) return;
    exiting = true;
    try {
      fetch("/api/chat/session", { method: "DELETE", credentials: "same-origin", cache: "no-store", keepalive: true });
    } catch (err) {
      // Leaving matters more than being told it worked.
    }
    stopStream();
    list.replaceChildren();
    input.value = "";
    pseudonym.textContent = "";
    try {
      sessionStorage.clear();
      history.replaceState(null, "", location.pathname);
    } catch (err) {
      // Storage or history may be unavailable: go anyway.
    }
    location.replace(root.dataset.exit || quickExitLink.href);
  }

  quickExitLink.addEventListener("click", quickExit);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape") quickExit(e);
  });
  startButton.addEventListener("click", start);
  newChatButton.addEventListener("click", start);
  form.addEventListener("submit", send);
  leaveButton.addEventListener("click", leave);
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      form.requestSubmit();
    }
  });

  checkSession(false);
})();
