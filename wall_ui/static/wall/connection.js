// One websocket to /ws/wall/{slug}, kept open for the whole event (docs/protocol.md).
//
// This module owns the transport and the sequence number: it decides whether a frame is applied,
// ignored as a duplicate, or means a gap (close and resume). What a frame does to the screen is the
// business of the handlers it is given.

const WATCHDOG_MS = 40_000; // protocol: nothing received for 40 s means the connection is dead
const STABLE_MS = 30_000; // a connection up this long resets the backoff
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 30_000;
// An unknown wall may be configured later, but there is no point in knocking every few seconds.
const NOT_FOUND_RETRY_MS = { min: 20_000, max: 40_000 };

const CLOSE_NOT_FOUND = 4404;
// Client-chosen close codes (4000-4999 is the private range), handy in server logs.
const CLOSE_GAP = 4000;
const CLOSE_WATCHDOG = 4001;
const CLOSE_STOPPED = 1000;

/**
 * Handlers (all optional):
 *   onWall(wall)              the wall's configuration
 *   onSnapshot(posts, seq)    replace everything shown
 *   onChange(frame)           apply one change frame (kind approved|retracted|pinned|unpinned)
 *   onSeq(seq)                the sequence number after a snapshot or a change was applied
 *   onStatus({state, notFound, offlineSince})  state is "connecting" | "live" | "offline"
 *   onServerTime(ms)          server clock from ping frames
 */
export class WallConnection {
  constructor({ url, seq = null, handlers = {}, random = Math.random }) {
    this.url = url;
    this.seq = Number.isInteger(seq) ? seq : null;
    this.handlers = handlers;
    this.random = random;

    this.socket = null;
    this.attempt = 0;
    this.openedAt = 0;
    this.live = false;
    this.everLive = false;
    this.notFound = false;
    this.offlineSince = null;
    this.retryTimer = null;
    this.watchdogTimer = null;
    this.stopped = true;
    this.onOnline = () => this.retryNow();
  }

  start() {
    this.stopped = false;
    window.addEventListener("online", this.onOnline);
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener("online", this.onOnline);
    clearTimeout(this.retryTimer);
    this.drop(CLOSE_STOPPED, "stopped");
  }

  /** Skip the remaining backoff wait, e.g. when the browser reports the network is back. */
  retryNow() {
    if (this.stopped || this.socket || this.retryTimer === null) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.connect();
  }

  get state() {
    if (this.live) return "live";
    return this.everLive ? "offline" : "connecting";
  }

  connect() {
    this.retryTimer = null;
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (err) {
      console.warn("wall: cannot open websocket", err);
      this.disconnected(null);
      return;
    }
    this.socket = ws;
    this.openedAt = 0;
    // Armed before "open" too, so a handshake that hangs is given up as well.
    this.armWatchdog();
    ws.addEventListener("open", () => {
      if (ws !== this.socket) return;
      this.openedAt = Date.now();
      this.send({ type: "hello", last_seq: this.seq });
    });
    ws.addEventListener("message", (event) => {
      if (ws !== this.socket) return;
      this.armWatchdog();
      this.receive(event.data);
    });
    ws.addEventListener("close", (event) => {
      if (ws !== this.socket) return;
      this.socket = null;
      this.disconnected(event.code);
    });
    this.emitStatus();
  }

  send(frame) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(frame));
    }
  }

  receive(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      console.warn("wall: ignoring a frame that is not JSON");
      return;
    }
    if (!frame || typeof frame !== "object") return;
    switch (frame.type) {
      case "ping":
        this.send({ type: "pong" });
        if (Number.isFinite(frame.t)) this.call("onServerTime", frame.t);
        break;
      case "wall":
        this.notFound = false;
        if (frame.wall && typeof frame.wall === "object") this.call("onWall", frame.wall);
        break;
      case "snapshot":
        this.snapshot(frame);
        break;
      case "change":
        this.change(frame);
        break;
      case "resumed":
        // Resumed at a sequence we have not reached means replayed changes went missing.
        if (!Number.isInteger(frame.seq) || this.seq === null || frame.seq > this.seq) {
          this.gap();
        } else {
          this.goLive();
        }
        break;
      default:
        // pong, and frame types added by later protocol versions.
        break;
    }
  }

  snapshot(frame) {
    if (!Number.isInteger(frame.seq) || !Array.isArray(frame.posts)) {
      console.warn("wall: malformed snapshot ignored");
      return;
    }
    this.notFound = false;
    this.seq = frame.seq;
    this.call("onSnapshot", frame.posts, frame.seq);
    this.call("onSeq", this.seq);
    this.goLive();
  }

  change(frame) {
    if (!Number.isInteger(frame.seq)) return;
    if (this.seq !== null && frame.seq <= this.seq) return; // a duplicate
    if (this.seq === null || frame.seq !== this.seq + 1) {
      this.gap();
      return;
    }
    this.seq = frame.seq;
    this.call("onChange", frame);
    this.call("onSeq", this.seq);
  }

  /** We missed frames: hang up and reconnect with last_seq so the server replays them. */
  gap() {
    this.drop(CLOSE_GAP, "sequence gap");
  }

  goLive() {
    if (this.live) return;
    this.live = true;
    this.everLive = true;
    this.offlineSince = null;
    this.emitStatus();
  }

  armWatchdog() {
    clearTimeout(this.watchdogTimer);
    this.watchdogTimer = setTimeout(() => this.drop(CLOSE_WATCHDOG, "no frame for 40 s"), WATCHDOG_MS);
  }

  /** Close the current socket ourselves; its late events are ignored from here on. */
  drop(code, reason) {
    const ws = this.socket;
    if (!ws) return;
    this.socket = null;
    try {
      ws.close(code, reason);
    } catch {
      // Already closing; nothing to do.
    }
    this.disconnected(code);
  }

  disconnected(code) {
    clearTimeout(this.watchdogTimer);
    if (this.live) {
      this.live = false;
      this.offlineSince = Date.now();
    }
    if (this.openedAt && Date.now() - this.openedAt >= STABLE_MS) this.attempt = 0;
    this.openedAt = 0;

    if (code === CLOSE_NOT_FOUND) this.notFound = true;
    this.emitStatus();
    if (this.stopped) return;

    let delay;
    if (this.notFound) {
      const { min, max } = NOT_FOUND_RETRY_MS;
      delay = min + this.random() * (max - min);
    } else {
      // Full jitter: spreads the reconnects of many walls after a server restart.
      const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(this.attempt, 16));
      delay = this.random() * ceiling;
      this.attempt += 1;
    }
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  emitStatus() {
    this.call("onStatus", {
      state: this.state,
      notFound: this.notFound,
      offlineSince: this.offlineSince,
    });
  }

  call(name, ...args) {
    const handler = this.handlers[name];
    if (!handler) return;
    try {
      handler(...args);
    } catch (err) {
      // A bad post must not take the connection down with it.
      console.warn(`wall: ${name} failed`, err);
    }
  }
}

/** ws(s)://host + path, matching the page's own scheme. */
export function socketUrl(path, loc = window.location) {
  const scheme = loc.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${loc.host}${path}`;
}
