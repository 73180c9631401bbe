// The list of cards on the current tab: which posts it holds, in which order, which card is
// current (keyboard), which are selected (bulk), and which are hidden while an action is in
// flight. The server is the truth; this is a view of it that frames and answers keep current.

import { renderCard } from "./card.js";

export const TABS = {
  queue: {
    params: { status: "pending", held: "false" },
    oldestFirst: true,
    // Approved posts edited at their source come back for a second look.
    accepts: (p) => (p.status === "pending" && !p.held) || (p.status === "approved" && p.edited === true),
  },
  held: {
    params: { status: "pending", held: "true" },
    oldestFirst: true,
    accepts: (p) => p.status === "pending" && p.held === true,
  },
  approved: { params: { status: "approved" }, oldestFirst: false, accepts: (p) => p.status === "approved" },
  rejected: { params: { status: "rejected" }, oldestFirst: false, accepts: (p) => p.status === "rejected" },
};

const LEAVE_MS = 220;
// How long a card that arrived live, or came back, stays marked. A class, not an animation:
// the mark is there until it is removed, whether or not anyone looked at that moment.
const FRESH_MS = 8000;
const RETURNED_MS = 4000;
// After cards move up (one left the list), taps on action buttons wait this long: a quick
// second tap must not land on the card that just slid under the finger.
const SETTLE_MS = 350;

function mark(node, className, ms) {
  node.classList.add(className);
  setTimeout(() => node.classList.remove(className), ms);
}

export class PostList {
  constructor(root, { onChange = () => {} } = {}) {
    this.root = root;
    this.onChange = onChange;
    this.tab = "queue";
    this.filter = () => true;
    this.posts = new Map(); // id -> post, for the cards shown
    this.busy = new Set(); // ids with an action in flight: hidden, and not re-added by a reload
    this.stash = new Map(); // the latest state a frame reported for a busy post
    this.selecting = false;
    this.selected = new Set();
    this.currentId = null;
  }

  accepts(post) {
    return TABS[this.tab].accepts(post) && this.filter(post);
  }

  get ids() {
    return [...this.root.querySelectorAll(":scope > [data-post-id]")].map((n) => Number(n.dataset.postId));
  }

  get size() {
    return this.posts.size;
  }

  get(id) {
    return this.posts.get(id);
  }

  node(id) {
    return this.root.querySelector(`:scope > [data-post-id="${id}"]`);
  }

  /** Show exactly these posts (a fresh load), keeping the current card if it is still there. */
  replaceAll(posts) {
    const hadFocus = this.root.contains(document.activeElement);
    this.posts.clear();
    const nodes = [];
    for (const post of posts) {
      if (this.busy.has(post.id) || !this.accepts(post) || this.posts.has(post.id)) continue;
      this.posts.set(post.id, post);
      nodes.push(this.render(post));
    }
    this.root.replaceChildren(...nodes);
    for (const id of this.selected) if (!this.posts.has(id)) this.selected.delete(id);
    if (!this.posts.has(this.currentId)) this.currentId = null;
    this.markCurrent(hadFocus);
    this.onChange();
  }

  /** Re-render every card (tab or selection mode changed). */
  rerender() {
    this.replaceAll([...this.posts.values()]);
  }

  /** Add or update a post; one that no longer belongs here is removed. "added", "updated",
      "removed" or null (nothing to do). */
  upsert(post, { fresh = false } = {}) {
    if (this.busy.has(post.id)) {
      this.stash.set(post.id, post);
      return null;
    }
    if (!this.accepts(post)) return this.remove(post.id) ? "removed" : null;
    const existing = this.node(post.id);
    const node = this.render(post);
    this.posts.set(post.id, post);
    if (existing) {
      const hadFocus = existing.contains(document.activeElement);
      existing.replaceWith(node);
      if (post.id === this.currentId) this.markCurrent(hadFocus);
      this.onChange();
      return "updated";
    }
    if (fresh) mark(node, "fresh", FRESH_MS);
    this.insertSorted(node, post);
    this.onChange();
    return "added";
  }

  insertSorted(node, post) {
    const oldestFirst = TABS[this.tab].oldestFirst;
    for (const other of this.root.querySelectorAll(":scope > [data-post-id]")) {
      const otherId = Number(other.dataset.postId);
      if (oldestFirst ? otherId > post.id : otherId < post.id) {
        other.before(node);
        this.settling(SETTLE_MS); // cards below moved down
        return;
      }
    }
    this.root.append(node);
  }

  /** Take a card off the list (sliding out towards `exit`: "right", "left" or null). The next
      card becomes current if this one was. Returns the post, or null if it was not shown. */
  remove(id, { exit = null } = {}) {
    const post = this.posts.get(id);
    const node = this.node(id);
    if (!post || !node) return null;
    const hadFocus = node.contains(document.activeElement);
    if (id === this.currentId) {
      const ids = this.ids;
      const at = ids.indexOf(id);
      this.currentId = ids[at + 1] ?? ids[at - 1] ?? null;
    }
    this.posts.delete(id);
    this.selected.delete(id);
    // Gone for the state at once; the node lingers only for the exit animation.
    delete node.dataset.postId;
    node.dataset.leavingId = String(id);
    node.classList.remove("current");
    node.removeAttribute("tabindex");
    if (exit && !matchMedia("(prefers-reduced-motion: reduce)").matches) {
      node.classList.add(`leaving-${exit}`);
      this.settling(LEAVE_MS + SETTLE_MS);
      setTimeout(() => node.remove(), LEAVE_MS);
    } else {
      node.remove();
      this.settling(SETTLE_MS);
    }
    this.markCurrent(hadFocus);
    this.onChange();
    return post;
  }

  /** Cards are moving: `#queue[data-settling]` until they have stopped (see SETTLE_MS). */
  settling(ms) {
    this.root.dataset.settling = "true";
    this.settledAt = Math.max(this.settledAt || 0, performance.now() + ms);
    clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => delete this.root.dataset.settling, this.settledAt - performance.now());
  }

  /** True while a tap might be meant for a card that has just moved away. */
  get moving() {
    return performance.now() < (this.settledAt || 0);
  }

  /** Hide a post while an action on it is in flight (optimistic): the post, or null. */
  take(id, exit) {
    const post = this.remove(id, { exit });
    if (post) this.busy.add(id);
    return post;
  }

  /** The action on `id` has an answer: the post may be shown again by frames and reloads. */
  settle(id) {
    this.busy.delete(id);
    this.stash.delete(id);
  }

  /** The action on `post` did not happen (as far as we know): show it again, as the latest
      frame about it describes it if one came meanwhile. The post as shown, or null if it no
      longer belongs on this tab. */
  restore(post) {
    const latest = this.stash.get(post.id) || post;
    this.settle(post.id);
    this.upsert(latest);
    const node = this.node(post.id);
    if (node) mark(node, "returned", RETURNED_MS);
    return this.posts.get(post.id) || null;
  }

  // The current card: what the keyboard acts on, with a visible ring.

  current() {
    return this.currentId === null ? null : this.posts.get(this.currentId) || null;
  }

  setCurrent(id, { focus = true } = {}) {
    this.currentId = this.posts.has(id) ? id : null;
    this.markCurrent(focus);
  }

  /** Move the current card by `delta` (j/k); from none, j starts at the first card. */
  move(delta) {
    const ids = this.ids;
    if (!ids.length) return;
    const at = ids.indexOf(this.currentId);
    const next = at === -1 ? (delta > 0 ? 0 : ids.length - 1) : Math.min(ids.length - 1, Math.max(0, at + delta));
    this.setCurrent(ids[next]);
  }

  markCurrent(focus) {
    for (const node of this.root.querySelectorAll(":scope > .current")) {
      node.classList.remove("current");
      node.tabIndex = -1;
    }
    const node = this.currentId === null ? null : this.node(this.currentId);
    if (!node) return;
    node.classList.add("current");
    node.tabIndex = 0;
    if (focus) {
      node.focus({ preventScroll: true });
      node.scrollIntoView({ block: "nearest", behavior: "auto" });
    }
  }

  // Bulk selection.

  setSelecting(on) {
    this.selecting = on;
    if (!on) this.selected.clear();
    this.rerender();
  }

  toggleSelected(id) {
    if (!this.posts.has(id)) return;
    if (this.selected.has(id)) this.selected.delete(id);
    else this.selected.add(id);
    const node = this.node(id);
    if (node) {
      node.classList.toggle("selected", this.selected.has(id));
      const box = node.querySelector("input[data-action='select']");
      if (box) box.checked = this.selected.has(id);
    }
    this.onChange();
  }

  render(post) {
    return renderCard(post, { tab: this.tab, selecting: this.selecting, selected: this.selected.has(post.id) });
  }
}
