/*
 * CoreSync concierge chat. Plain JavaScript, no build step, no inline scripts (CSP-ready).
 *
 * Contract (SPEC §4): the client sends {"session_id"?, "message"} over ws /ws/ai-chat/?session_id=<id>
 * (or POST /api/v1/chat/ when WebSocket is unavailable) and receives
 * {"session_id", "messages": [{"text", "cards": [{"title", "text", "image"?}],
 *  "actions": [{"label", "message"}]}], "state": {...}} or {"error": {"code", "message"}}.
 * Over the socket, replies carry "type": "reply" | "error", plus "session" (on connect) and "typing" frames.
 * Resuming: when the tab already has a session, the first frame on every (re)connect is
 * {"type": "resume", "session_id"}; the server answers {"type": "history", "session_id",
 *  "messages": [{"role": "user"|"assistant", "text", "cards"?, "actions"?}], "state"} (no messages
 * when the session has expired), so the conversation follows the guest from page to page.
 *
 * - Everything the server says is rendered with textContent: never as HTML.
 * - The session id lives in sessionStorage, so a reload, another page of the site or
 *   a socket that iOS Safari dropped in the background all continue the same conversation.
 * - Reconnects with exponential backoff and jitter; after repeated failures to open a
 *   socket it falls back to HTTP for the rest of the page (and tries WebSocket again later).
 */
(function () {
  "use strict";

  var STORAGE_KEY = "coresync.chat.session";
  var CONNECT_TIMEOUT_MS = 4000;
  var REPLY_TIMEOUT_MS = 15000;
  var MAX_BACKOFF_MS = 30000;
  var FAILURES_BEFORE_HTTP = 2;
  var WS_RETRY_AFTER_HTTP_MS = 60000;

  function readSession() {
    try { return window.sessionStorage.getItem(STORAGE_KEY); } catch (e) { return null; }
  }

  function writeSession(id) {
    try { window.sessionStorage.setItem(STORAGE_KEY, id); } catch (e) { /* private mode: keep it in memory */ }
  }

  function forgetSession() {
    try { window.sessionStorage.removeItem(STORAGE_KEY); } catch (e) { /* nothing stored */ }
  }

  /* Same-origin http(s) links only: a link from the server never becomes javascript: or another site. */
  function safeLocalUrl(value) {
    if (typeof value !== "string" || !value) return null;
    try {
      var url = new URL(value, window.location.href);
      if (url.origin !== window.location.origin) return null;
      return url.protocol === "https:" || url.protocol === "http:" ? url.pathname + url.search + url.hash : null;
    } catch (e) {
      return null;
    }
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function safeImageUrl(value) {
    if (typeof value !== "string" || !value) return null;
    try {
      var url = new URL(value, window.location.href);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function Chat(root) {
    this.root = root;
    this.log = root.querySelector("[data-chat-log]");
    this.form = root.querySelector("[data-chat-form]");
    this.input = root.querySelector("[data-chat-input]");
    this.typing = root.querySelector("[data-chat-typing]");
    this.status = root.querySelector("[data-chat-status]");
    this.actions = root.querySelector("[data-chat-actions]");
    this.wsPath = root.getAttribute("data-ws-path") || "/ws/ai-chat/";
    this.httpPath = root.getAttribute("data-http-path") || "/api/v1/chat/";
    // Signed-in guests get their bookings' account page as the badge's link ("/accounts/bookings/").
    this.accountBookingsPath = root.getAttribute("data-account-bookings") || "";
    this.greeting = this.log.querySelector("[data-chat-greeting]");
    this.badges = {};     // booking reference -> its badge in the log
    this.restored = false; // the history of a resumed conversation is drawn once per page
    this.sessionId = readSession();
    this.ws = null;
    this.opened = false;
    this.retries = 0;
    this.failures = 0;
    this.httpOnly = !("WebSocket" in window);
    this.queue = [];      // messages waiting for the socket to open
    this.inflight = [];   // messages sent over the socket, reply not yet received
    this.waiting = 0;     // replies outstanding (socket or HTTP)
    this.reconnectTimer = null;
    this.bind();
    if (this.sessionId) this.connect();
  }

  Chat.prototype.bind = function () {
    var self = this;
    this.form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = self.input.value.trim();
      if (!text) return;
      self.input.value = "";
      self.send(text);
    });
    // Buttons are handled by the one page-level listener in start(): a second listener here would
    // see the same click again once send() has removed the button from the chat (a double send).
    this.input.addEventListener("focus", function () { self.connect(); });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") self.resume();
    });
    window.addEventListener("pageshow", function (event) { if (event.persisted) self.resume(); });
    window.addEventListener("online", function () { self.resume(); });
    if ("IntersectionObserver" in window) {
      var observer = new IntersectionObserver(function (entries) {
        if (entries.some(function (entry) { return entry.isIntersecting; })) {
          observer.disconnect();
          self.connect();
        }
      }, { rootMargin: "200px" });
      observer.observe(this.root);
    }
  };

  /* The page became visible again (iOS drops sockets in the background): reopen now, same session. */
  Chat.prototype.resume = function () {
    if (this.httpOnly) return;
    if (this.ws && (this.ws.readyState === 0 || this.ws.readyState === 1)) return;
    this.retries = 0;
    clearTimeout(this.reconnectTimer);
    this.connect();
  };

  Chat.prototype.connect = function () {
    if (this.httpOnly || (this.ws && this.ws.readyState <= 1)) return;
    clearTimeout(this.reconnectTimer);
    var self = this;
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket;
    try {
      var resume = this.sessionId ? "?session_id=" + encodeURIComponent(this.sessionId) : "";
      socket = new WebSocket(scheme + window.location.host + this.wsPath + resume);
    } catch (e) {
      this.socketFailed();
      return;
    }
    this.ws = socket;
    this.opened = false;
    this.healthy = false;  // true once the server has said anything: a proxy may accept the upgrade and drop it
    var openTimer = setTimeout(function () { if (socket.readyState !== 1) socket.close(); }, CONNECT_TIMEOUT_MS);
    socket.onopen = function () {
      clearTimeout(openTimer);
      self.opened = true;
      self.setStatus("");
      // First frame: continue this tab's conversation (the server answers with its history).
      if (self.sessionId) socket.send(JSON.stringify({ type: "resume", session_id: self.sessionId }));
      self.flush();
    };
    socket.onmessage = function (event) {
      var payload;
      try { payload = JSON.parse(event.data); } catch (e) { return; }
      if (!payload || typeof payload !== "object") return;
      if (!self.healthy) { self.healthy = true; self.retries = 0; self.failures = 0; }
      if (payload.type === "session") {
        // The server tells us which conversation this socket continues (null: it starts afresh on our next message).
        if (payload.session_id) self.rememberSession(payload.session_id);
        return;
      }
      if (payload.type === "typing") { if (self.inflight.length) self.showTyping(); return; }
      if (payload.type === "history") { self.restore(payload); return; }
      // A reply or error answers the oldest message in flight; one with nothing in flight (say, to the
      // resume frame) is not the guest's to see.
      if (!self.inflight.length) return;
      self.inflight.shift();
      self.receive(payload);
    };
    socket.onclose = function () {
      clearTimeout(openTimer);
      if (self.ws === socket) self.ws = null;
      if (!self.opened || !self.healthy) self.failures += 1;
      // A reply lost with the socket: ask again over HTTP so the guest is not left waiting.
      var lost = self.inflight.splice(0);
      lost.forEach(function (msg) { self.post(msg); });
      if (self.failures >= FAILURES_BEFORE_HTTP) {
        self.socketFailed();
      } else {
        if (self.queue.length || document.visibilityState === "visible") self.scheduleReconnect();
      }
    };
    socket.onerror = function () { /* onclose follows and decides */ };
  };

  Chat.prototype.scheduleReconnect = function () {
    var self = this;
    var delay = Math.min(MAX_BACKOFF_MS, 500 * Math.pow(2, this.retries)) * (0.75 + Math.random() * 0.5);
    this.retries += 1;
    if (this.inflight.length || this.queue.length) this.setStatus("Reconnecting…");
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(function () { self.connect(); }, delay);
  };

  /* WebSocket is blocked (proxy, firewall, old browser): use HTTP, try the socket again later. */
  Chat.prototype.socketFailed = function () {
    var self = this;
    this.httpOnly = true;
    this.setStatus("");
    var queued = this.queue.splice(0);
    queued.forEach(function (msg) { self.post(msg); });
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(function () {
      self.httpOnly = false;
      self.failures = 0;
      self.retries = 0;
    }, WS_RETRY_AFTER_HTTP_MS);
  };

  Chat.prototype.send = function (text, label) {
    if (!text) return;
    this.render({ role: "guest", text: label || text });
    this.clearActions();
    var msg = { message: text };
    this.waiting += 1;
    this.showTyping();
    if (this.httpOnly) {
      this.post(msg);
    } else if (this.ws && this.ws.readyState === 1) {
      this.transmit(msg);
    } else {
      this.queue.push(msg);
      this.connect();
      var self = this;
      // Do not keep a guest waiting on a socket that will not open.
      setTimeout(function () {
        var index = self.queue.indexOf(msg);
        if (index !== -1) { self.queue.splice(index, 1); self.post(msg); }
      }, CONNECT_TIMEOUT_MS + 500);
    }
    if (document.activeElement !== this.input && document.activeElement && this.root.contains(document.activeElement)) {
      this.input.focus({ preventScroll: true });
    }
  };

  Chat.prototype.withSession = function (msg) {
    var body = { message: msg.message };
    if (this.sessionId) body.session_id = this.sessionId;
    return body;
  };

  Chat.prototype.transmit = function (msg) {
    this.inflight.push(msg);
    this.ws.send(JSON.stringify(this.withSession(msg)));
  };

  Chat.prototype.flush = function () {
    while (this.queue.length && this.ws && this.ws.readyState === 1) this.transmit(this.queue.shift());
  };

  Chat.prototype.post = function (msg) {
    var self = this;
    var controller = "AbortController" in window ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, REPLY_TIMEOUT_MS) : null;
    window.fetch(this.httpPath, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(this.withSession(msg)),
      signal: controller ? controller.signal : undefined,
    }).then(function (response) {
      return response.json().catch(function () {
        return { error: { code: "bad_response", message: "The concierge could not answer just now." } };
      });
    }).then(function (payload) {
      clearTimeout(timer);
      self.receive(payload);
    }).catch(function () {
      clearTimeout(timer);
      self.receive({ error: { code: "network", message: "We could not reach the concierge. Please check your connection and try again." } });
    });
  };

  Chat.prototype.receive = function (payload) {
    this.waiting = Math.max(0, this.waiting - 1);
    if (!this.waiting) this.hideTyping();
    if (!payload || typeof payload !== "object") return;
    if (payload.error) {
      this.render({ role: "error", text: payload.error.message || "Something went wrong." });
      return;
    }
    if (payload.session_id) this.rememberSession(payload.session_id);
    var messages = Array.isArray(payload.messages) ? payload.messages : [];
    var self = this;
    var lastActions = [];
    messages.forEach(function (message) {
      self.render({ role: "agent", text: message.text, cards: message.cards });
      if (Array.isArray(message.actions) && message.actions.length) lastActions = message.actions;
    });
    this.renderState(payload.state || {});
    this.renderActions(lastActions);
  };

  /* A resumed conversation: draw what was said (once per page, above anything typed since), then its state. */
  Chat.prototype.restore = function (payload) {
    var messages = Array.isArray(payload.messages) ? payload.messages : [];
    if (payload.session_id) {
      this.rememberSession(payload.session_id);
    } else {
      // Expired or unknown: the next message starts a new conversation.
      this.sessionId = null;
      forgetSession();
    }
    if (!this.restored && messages.length) {
      this.restored = true;
      var self = this;
      var anchor = this.greeting ? this.greeting.nextSibling : this.log.firstChild;
      var greetingText = this.greeting ? this.greeting.textContent.trim() : "";
      var lastActions = [];
      messages.forEach(function (message, index) {
        if (!message || typeof message !== "object") return;
        var role = message.role === "user" ? "guest" : "agent";
        // The greeting is already on the page: never twice.
        if (index === 0 && role === "agent" && greetingText && String(message.text || "").trim() === greetingText) return;
        var text = message.text;
        if (role === "guest") {
          // A button the guest pressed reads as its label, as it did when pressed.
          var pressed = lastActions.filter(function (action) { return action && action.message === text; })[0];
          if (pressed && pressed.label) text = pressed.label;
        }
        self.render({ role: role, text: text, cards: role === "agent" ? message.cards : null }, anchor);
        if (role === "agent") lastActions = Array.isArray(message.actions) ? message.actions : [];
      });
      // The buttons of the last answer, unless the guest has already sent something new on this page.
      if (!this.waiting) this.renderActions(lastActions);
    }
    this.restored = true;
    this.renderState(payload.state || {});
  };

  Chat.prototype.rememberSession = function (id) {
    if (String(id) === this.sessionId) return;
    this.sessionId = String(id);
    writeSession(this.sessionId);
  };

  Chat.prototype.render = function (entry, before) {
    var item = el("div", "msg msg--" + entry.role);
    item.appendChild(el("p", "msg__text", entry.text || ""));
    if (Array.isArray(entry.cards) && entry.cards.length) {
      var cards = el("div", "cards");
      entry.cards.forEach(function (card) {
        if (!card || typeof card !== "object") return;
        var article = el("article", "card");
        var src = safeImageUrl(card.image);
        if (src) {
          var img = el("img", "card__img");
          img.src = src;
          img.alt = "";
          img.width = 72;
          img.height = 72;
          img.loading = "lazy";
          img.decoding = "async";
          article.appendChild(img);
        } else {
          article.className += " card--text";
        }
        var body = el("div", "card__body");
        body.appendChild(el("h3", "card__title", card.title || ""));
        if (card.text) body.appendChild(el("p", "card__text", card.text));
        article.appendChild(body);
        cards.appendChild(article);
      });
      item.appendChild(cards);
    }
    if (before && before.parentNode === this.log) this.log.insertBefore(item, before);
    else this.log.appendChild(item);
    this.scrollToEnd();
    return item;
  };

  /* The booking this conversation made: one badge per reference, a link to the booking, kept up to date. */
  Chat.prototype.renderState = function (state) {
    var booking = state && state.booking;
    if (booking && typeof booking === "object" && booking.reference) this.renderBooking(booking);
    if (state && state.handoff) this.setStatus("A member of our team will take over this conversation.");
  };

  /* The server's link (the owner's account page, or a manage link) when it gives one, else the signed-in
     guest's own account page, else none (plain badge). */
  Chat.prototype.bookingUrl = function (booking) {
    var given = safeLocalUrl(booking.url) || safeLocalUrl(booking.manage_url);
    if (given) return given;
    if (this.accountBookingsPath) return this.accountBookingsPath + encodeURIComponent(booking.reference) + "/";
    return null;
  };

  Chat.prototype.renderBooking = function (booking) {
    var reference = String(booking.reference);
    var status = String(booking.status || "");
    var cancelled = status === "cancelled" || status === "expired";
    var held = status === "pending_payment";  // a hold awaiting payment: the badge is the way to the pay button
    var badge = this.badges[reference];
    if (!badge) {
      if (status !== "confirmed" && !cancelled && !held) return;
      var note = el("div", "msg msg--note");
      badge = el("p", "booking-confirmed");
      badge.setAttribute("data-chat-booking", reference);
      note.appendChild(badge);
      this.log.appendChild(note);
      this.badges[reference] = badge;
      this.scrollToEnd();
    }
    var label = (cancelled ? "Cancelled · " : held ? "Held · pay to confirm · " : "Booked · ") + reference;
    var href = this.bookingUrl(booking);
    while (badge.firstChild) badge.removeChild(badge.firstChild);
    if (href) {
      var link = el("a", "booking-confirmed__link", label);
      link.href = href;
      badge.appendChild(link);
    } else {
      badge.textContent = label;
    }
    badge.setAttribute("data-status", status);
    badge.className = "booking-confirmed" + (cancelled ? " booking-confirmed--cancelled" : held ? " booking-confirmed--held" : "");
  };

  Chat.prototype.renderActions = function (actions) {
    this.clearActions();
    var self = this;
    actions.forEach(function (action) {
      if (!action || !action.message) return;
      var button = el("button", "chip", action.label || action.message);
      button.type = "button";
      button.setAttribute("data-chat-send", String(action.message));
      self.actions.appendChild(button);
    });
  };

  Chat.prototype.clearActions = function () {
    var hadFocus = this.actions.contains(document.activeElement);
    while (this.actions.firstChild) this.actions.removeChild(this.actions.firstChild);
    if (hadFocus) this.input.focus({ preventScroll: true });
  };

  Chat.prototype.scrollToEnd = function () {
    this.log.scrollTop = this.log.scrollHeight;
  };

  Chat.prototype.showTyping = function () {
    this.typing.hidden = false;
    this.log.setAttribute("aria-busy", "true");
  };

  Chat.prototype.hideTyping = function () {
    this.typing.hidden = true;
    this.log.removeAttribute("aria-busy");
  };

  Chat.prototype.setStatus = function (text) {
    if (this.status.textContent !== text) this.status.textContent = text;
  };

  function start() {
    var chats = [];
    Array.prototype.forEach.call(document.querySelectorAll("[data-chat]"), function (root) {
      chats.push(new Chat(root));
    });
    if (!chats.length) return;
    var main = chats[0];
    // One listener for every chat button on the page: a button inside a chat talks to that chat, one
    // elsewhere ("Ask about Premium", "Book a facial") to the page's main chat. Exactly one send per click.
    document.addEventListener("click", function (event) {
      var jump = event.target.closest("[data-chat-jump]");
      if (jump) {
        event.preventDefault();
        main.root.scrollIntoView({ behavior: "smooth", block: "start" });
        main.input.focus({ preventScroll: true });
        main.connect();
        return;
      }
      var button = event.target.closest("[data-chat-send]");
      if (!button || button.disabled) return;
      event.preventDefault();
      var owner = chats.filter(function (chat) { return chat.root.contains(button); })[0];
      if (!owner) {
        owner = main;
        main.root.scrollIntoView({ behavior: "smooth", block: "start" });
      }
      owner.send(button.getAttribute("data-chat-send"), button.textContent.trim());
      if (owner === main && !main.root.contains(document.activeElement)) main.input.focus({ preventScroll: true });
    });
    window.CoreSyncChat = main;
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
