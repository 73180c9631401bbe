// What is waiting: the API's `counts` ({pending, held} for the whole event, whatever the
// filters), nudged at once by our own actions and fetched again shortly after any change.

import { NetworkError } from "./api.js";

const REFRESH_DELAY_MS = 400;

export class Counts {
  constructor({ api, eventSlug, onChange, onUnreachable = () => {} }) {
    Object.assign(this, { api, eventSlug, onChange, onUnreachable });
    this.pending = null;
    this.held = null;
    this.timer = null;
    this.adjusted = 0; // how many of our own actions nudged the figures so far
  }

  reset() {
    this.pending = null;
    this.held = null;
  }

  set(value) {
    if (value && Number.isInteger(value.pending)) {
      this.pending = value.pending;
      this.held = Number.isInteger(value.held) ? value.held : null;
    }
    this.onChange();
  }

  /** An action of ours moved a post out of (sign +1) or back into (-1) `tab`. */
  adjust(action, tab, sign) {
    const from = tab === "queue" ? "pending" : tab === "held" ? "held" : null;
    if (!from || this[from] === null) return;
    this.adjusted += 1;
    this[from] = Math.max(0, this[from] - sign);
    const to = action === "hold" ? "held" : action === "unhold" ? "pending" : null;
    if (to && this[to] !== null) this[to] = Math.max(0, this[to] + sign);
    this.onChange();
  }

  /** Something changed (a frame, an answer): ask again, once, in a moment. */
  refreshSoon() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), REFRESH_DELAY_MS);
  }

  async refresh() {
    const adjusted = this.adjusted;
    try {
      const page = await this.api.get("/api/posts", { event: this.eventSlug(), status: "pending", limit: "1" });
      // Counted before an action of ours that came since: older than what is shown. The
      // action's own refresh follows.
      if (this.adjusted !== adjusted) return;
      this.set(page.counts);
    } catch (err) {
      // The next frame or round tries again; no answer at all may mean the live feed is
      // dead too without having noticed (a half-open connection).
      if (err instanceof NetworkError) this.onUnreachable();
    }
  }
}
