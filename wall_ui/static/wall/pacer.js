// Pacing: between the connection and the post store. A burst of approvals is let through one
// post every `paceSeconds`, so each can be read; when nothing new has come for `rotateSeconds`,
// an earlier post is shown again (layouts that rotate by themselves skip that).
//
// Only new posts wait. Retractions act at once, also on posts still waiting; pins and updates
// of posts on screen act at once; a spotlight is a moderator's "now". The queue holds at most
// maxPosts posts: more would only push each other off the screen.

import { keyOf } from "./store.js";

export class Pacer {
  // A monotonic clock: the wall's server-synchronised clock may jump when it is corrected.
  constructor(store, { clock = performance } = {}) {
    this.store = store;
    this.clock = clock;
    this.paceMs = 2000;
    this.rotateMs = 12_000;
    this.reshows = true; // false while the layout rotates by itself
    this.waiting = []; // change frames of new posts, oldest first
    this.lastShown = -Infinity; // when a post last came on screen
    this.lastReshow = -Infinity;
    this.paceTimer = null;
    this.idleTimer = null;
    this.onRelease = () => {};
  }

  configure({ paceSeconds, rotateSeconds, reshows } = {}) {
    if (Number.isFinite(paceSeconds) && paceSeconds >= 0) this.paceMs = paceSeconds * 1000;
    if (Number.isFinite(rotateSeconds) && rotateSeconds >= 0) this.rotateMs = rotateSeconds * 1000;
    if (typeof reshows === "boolean") this.reshows = reshows;
    this.schedule();
  }

  /** Posts waiting to be shown (kept with the seq when the page saves its state). */
  get queued() {
    return this.waiting.map((frame) => frame.post);
  }

  /** Everything changed at once (snapshot, restore): nothing waits any more. */
  reset() {
    this.waiting = [];
    this.schedule();
  }

  /** A change frame from the connection. */
  apply(frame) {
    const key = frame.post ? keyOf(frame.post.id) : keyOf(frame.post_id);
    if (frame.kind === "retracted") {
      this.waiting = this.waiting.filter((w) => keyOf(w.post.id) !== key);
      this.store.apply(frame);
      return;
    }
    const at = this.waiting.findIndex((w) => keyOf(w.post.id) === key);
    if (at >= 0 && frame.post) {
      // Still waiting: it goes up as it is now, in its place in the line.
      this.waiting[at] = { ...this.waiting[at], post: frame.post };
      return;
    }
    const isNew = frame.kind === "approved" && frame.post && !this.store.posts.has(key);
    if (!isNew) {
      this.store.apply(frame);
      return;
    }
    this.waiting.push(frame);
    const excess = this.waiting.length - this.store.maxPosts;
    if (excess > 0) this.waiting.splice(0, excess);
    this.pump();
  }

  /** Let the next waiting post through if the last one has been up long enough. */
  pump() {
    const now = this.clock.now();
    while (this.waiting.length && now - this.lastShown >= this.paceMs) {
      this.store.apply(this.waiting.shift());
      this.lastShown = now;
      this.onRelease();
      if (this.paceMs > 0) break; // at pace 0 a burst goes through at once
    }
    this.schedule();
  }

  schedule() {
    clearTimeout(this.paceTimer);
    this.paceTimer = null;
    if (this.waiting.length) {
      const wait = Math.max(0, this.lastShown + this.paceMs - this.clock.now());
      this.paceTimer = setTimeout(() => this.pump(), wait);
    }
    clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.reshows && this.rotateMs > 0) {
      const quietFor = this.clock.now() - Math.max(this.lastShown, this.lastReshow);
      const wait = Math.max(this.rotateMs - (Number.isFinite(quietFor) ? quietFor : 0), 50);
      this.idleTimer = setTimeout(() => this.reshow(), wait);
    }
  }

  /** Nothing new for a while: bring the longest-shown post to the front again. */
  reshow() {
    this.lastReshow = this.clock.now();
    if (!this.waiting.length) this.store.reshowOldest();
    this.schedule();
  }

  destroy() {
    clearTimeout(this.paceTimer);
    clearTimeout(this.idleTimer);
  }
}
