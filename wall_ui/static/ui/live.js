// The desk's websocket, WS /ws/moderate/{event} (docs/moderation.md, "Live updates"): frames in,
// reconnects with exponential backoff and full jitter, and "ready" as the cue to reload.
// The server pings a quiet socket every 15 s; the page answers, and a socket that brings nothing
// for 2.5 pings (a Wi-Fi that dropped without a close) is given up and reconnected.

const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 30_000;
const STABLE_MS = 30_000; // a connection up this long resets the backoff
const READY_WITHIN_MS = 10_000; // a handshake that hangs (bad Wi-Fi) is given up
const SLOW_RETRY_MS = 20_000; // forbidden or unknown event: it may be fixed, no need to hammer
const PING_MS = 15_000; // the server's ping interval until its "ready" says otherwise
const WATCHDOG_PINGS = 2.5; // silent for more than two missed pings: the socket is dead

const CLOSE_SIGNED_OUT = 4401;
const CLOSE_FORBIDDEN = 4403;
const CLOSE_UNKNOWN_EVENT = 4404;
const CLOSE_STOPPED = 1000;

/**
 * onReady()            subscribed: reload the list now, then apply frames
 * onFrame(frame)       post.new, post.updated, event.updated (and unknown types: ignore)
 * onStatus(state)      "connecting" (never live yet) | "live" | "offline" (was live, is not)
 * onSignedOut()        the session ended
 * onRefused(code)      not a moderator of this event (4403), or no such event (4404)
 */
export class LiveFeed {
  constructor({ onReady, onFrame, onStatus, onSignedOut, onRefused = () => {}, random = Math.random }) {
    Object.assign(this, { onReady, onFrame, onStatus, onSignedOut, onRefused, random });
    this.path = null;
    this.socket = null;
    this.live = false;
    this.everLive = false;
    this.attempt = 0;
    this.timer = null;
    this.readyTimer = null;
    this.watchdogTimer = null;
    this.pingMs = PING_MS;
    this.liveSince = 0;
    // The browser often knows before the socket does: say so at once, and when the network is
    // back, do not sit out the rest of a backoff wait.
    window.addEventListener("offline", () => this.suspect());
    window.addEventListener("online", () => this.retryNow());
  }

  /** (Re)connect to an event's feed. */
  open(slug) {
    this.path = `/ws/moderate/${encodeURIComponent(slug)}`;
    this.attempt = 0;
    this.everLive = false;
    this.hangUp();
    this.connect();
  }

  /** Something says the network failed (an HTTP request, the browser): start over. */
  suspect() {
    if (this.socket) {
      this.hangUp();
      this.retryLater(null);
    }
  }

  /** Connect now instead of after the backoff wait (or instead of a handshake that hangs). */
  retryNow() {
    if (this.live) return;
    this.hangUp();
    this.connect();
  }

  connect() {
    clearTimeout(this.timer);
    this.timer = null;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    let ws;
    try {
      ws = new WebSocket(`${scheme}//${location.host}${this.path}`);
    } catch {
      this.retryLater(null);
      return;
    }
    this.socket = ws;
    this.status();
    this.readyTimer = setTimeout(() => {
      if (ws === this.socket && !this.live) this.suspect();
    }, READY_WITHIN_MS);
    ws.addEventListener("message", (message) => {
      if (ws !== this.socket) return;
      let frame;
      try {
        frame = JSON.parse(message.data);
      } catch {
        return;
      }
      if (!frame || typeof frame !== "object") return;
      this.watch(ws);
      if (frame.type === "ping") {
        this.send(ws, { type: "pong" });
      } else if (frame.type === "pong") {
        // an answer to nothing we sent: harmless
      } else if (frame.type === "ready") {
        if (Number.isFinite(frame.ping_ms) && frame.ping_ms > 0) this.pingMs = frame.ping_ms;
        this.watch(ws);
        clearTimeout(this.readyTimer);
        this.live = true;
        this.everLive = true;
        this.liveSince = Date.now();
        this.status();
        this.onReady();
      } else {
        this.onFrame(frame);
      }
    });
    ws.addEventListener("close", (event) => {
      if (ws !== this.socket) return;
      this.socket = null;
      this.wentDown();
      if (event.code === CLOSE_SIGNED_OUT) {
        this.onSignedOut();
        return;
      }
      this.retryLater(event.code);
    });
  }

  /** (Re)start the watchdog: a live socket that stays silent this long is dead. */
  watch(ws) {
    clearTimeout(this.watchdogTimer);
    this.watchdogTimer = setTimeout(() => {
      if (ws === this.socket) this.suspect();
    }, this.pingMs * WATCHDOG_PINGS);
  }

  send(ws, frame) {
    try {
      ws.send(JSON.stringify(frame));
    } catch {
      // closing: the close handler takes it from here
    }
  }

  /** Close the current socket ourselves; its late events are ignored from here on. */
  hangUp() {
    clearTimeout(this.timer);
    this.timer = null;
    const ws = this.socket;
    this.socket = null;
    if (ws) {
      try {
        ws.close(CLOSE_STOPPED);
      } catch {
        // already closing
      }
    }
    this.wentDown();
  }

  wentDown() {
    clearTimeout(this.readyTimer);
    clearTimeout(this.watchdogTimer);
    if (this.live && Date.now() - this.liveSince >= STABLE_MS) this.attempt = 0;
    this.live = false;
    this.status();
  }

  retryLater(code) {
    let delay;
    if (code === CLOSE_FORBIDDEN || code === CLOSE_UNKNOWN_EVENT) {
      this.onRefused(code);
      delay = SLOW_RETRY_MS * (1 + this.random());
    } else {
      // Full jitter: after a server restart, a room full of tablets does not knock at once.
      delay = this.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(this.attempt, 16));
      this.attempt += 1;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  status() {
    this.onStatus(this.live ? "live" : this.everLive ? "offline" : "connecting");
  }
}
