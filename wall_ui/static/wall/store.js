// The posts a wall shows, in the order it shows them; every layout renders from this list.

/**
 * Order: pinned posts first, then the rest newest first. The newest approved post goes first; a
 * post approved again keeps its place. At most maxPosts posts are kept: the oldest unpinned ones
 * go, pinned posts are never pushed out.
 */
export class PostStore {
  constructor(maxPosts = 30) {
    this.maxPosts = sanitizeMax(maxPosts);
    // Keyed by String(id): the same key the DOM uses in data-post-id.
    this.order = []; // post keys, newest first, pinned or not
    this.posts = new Map(); // key -> post
    this.listeners = new Set();
  }

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The posts to show, pinned first. */
  list() {
    const all = this.order.map((id) => this.posts.get(id));
    return [...all.filter((p) => p.pinned), ...all.filter((p) => !p.pinned)];
  }

  /** All posts in arrival order (newest first), as a snapshot would list them. */
  entries() {
    return this.order.map((key) => this.posts.get(key));
  }

  get size() {
    return this.order.length;
  }

  setMaxPosts(maxPosts) {
    const next = sanitizeMax(maxPosts);
    if (next === this.maxPosts) return;
    this.maxPosts = next;
    this.trim();
    this.notify({ reason: "config" });
  }

  /** Replace everything with a snapshot (server order: newest first). */
  replace(posts, { reason = "snapshot" } = {}) {
    this.order = [];
    this.posts = new Map();
    for (const post of posts) {
      if (!isPost(post) || this.posts.has(keyOf(post.id))) continue;
      this.posts.set(keyOf(post.id), post);
      this.order.push(keyOf(post.id));
    }
    this.trim();
    this.notify({ reason });
  }

  /** Apply one change frame; unknown kinds are ignored. */
  apply(frame) {
    switch (frame.kind) {
      case "approved":
      case "pinned":
        if (isPost(frame.post)) this.upsert(frame.post);
        break;
      case "unpinned":
        // Unpinning a post we no longer show does not bring it back.
        if (isPost(frame.post) && this.posts.has(keyOf(frame.post.id))) this.upsert(frame.post);
        break;
      case "retracted":
        this.remove(frame.post_id);
        break;
      default:
        return;
    }
    this.notify({ reason: "change", kind: frame.kind });
  }

  upsert(post) {
    const key = keyOf(post.id);
    if (!this.posts.has(key)) this.order.unshift(key);
    this.posts.set(key, post);
    this.trim();
  }

  /** Show the longest-shown unpinned post again, at the front (the wall keeps moving). */
  reshowOldest() {
    const unpinned = this.order.filter((key) => !this.posts.get(key).pinned);
    if (unpinned.length < 2) return;
    const key = unpinned[unpinned.length - 1];
    this.order = [key, ...this.order.filter((other) => other !== key)];
    this.notify({ reason: "reshow", key });
  }

  remove(id) {
    const key = keyOf(id);
    if (!this.posts.has(key)) return;
    this.posts.delete(key);
    this.order = this.order.filter((other) => other !== key);
  }

  trim() {
    let excess = this.order.length - this.maxPosts;
    for (let i = this.order.length - 1; i >= 0 && excess > 0; i -= 1) {
      const id = this.order[i];
      if (this.posts.get(id).pinned) continue;
      this.posts.delete(id);
      this.order.splice(i, 1);
      excess -= 1;
    }
  }

  notify(info) {
    for (const listener of this.listeners) listener(this.list(), info);
  }
}

export function keyOf(id) {
  return String(id);
}

function isPost(post) {
  return Boolean(post) && typeof post === "object" && post.id !== undefined && post.id !== null;
}

function sanitizeMax(value) {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : 30;
}
