// What the "spotlight" and "ticker" layouts share: one post at a time, rotating through the posts
// the store gives (pinned first, then newest first), every ctx.settings.rotateSeconds.
//
// - A post that just arrived (or was just pinned) is shown next, before the rotation goes on
//   where it left off; it interrupts nothing, unless nothing is shown.
// - A post that leaves the list while it is shown goes at once (a retraction: a moderator pulled
//   it for a reason), and the post after it comes in.
// - The DOM holds the card on show and, for the length of a cross-fade, the one going: never a
//   node per post. A card that has gone is discarded (render.js discardCard): its pictures and
//   videos free their memory at once.
// - rotateSeconds 0: no rotation; the post on show stays until a new one arrives.
//
// A subclass sets the class names, the sizes its text may take (largest first; CSS styles each
// `data-size`), how a card is arranged (arrange) and how cards come and go (keyframes).

import { createCard, discardCard, refreshTimes, updateCard } from "../render.js";
import { keyOf } from "../store.js";

const DEFAULT_ROTATE_SECONDS = 12;
const MAX_DOTS = 12; // more posts than this and the position is shown as "3 / 42"
const REDUCED_MS = 400;

export class RotatingLayout {
  /**
   * options: {rootClass, cardClass, sizes (largest first), dots (bool: dots, or a bar),
   * enterMs, enterDelayMs, leaveMs, mediaShown (how many pictures a card shows)}
   */
  constructor(root, ctx, options) {
    this.root = root;
    this.ctx = ctx;
    this.options = options;
    this.rotates = true; // wall.js: this layout moves on by itself (no re-showing of old posts)
    this.posts = [];
    this.keys = new Set(); // keys of this.posts
    this.pinned = new Set(); // keys of the pinned ones among them
    this.upNext = []; // keys of posts that arrived, to be shown before the rotation goes on
    this.current = null; // {key, post, card}
    this.outgoing = null; // {card, animation}: the card fading out
    this.anchor = null; // {key, index}: the last post shown in the regular order
    this.shownAt = 0;
    this.timer = 0;
    this.frame = 0;
    this.preloads = [];
    this.motion = window.matchMedia("(prefers-reduced-motion: reduce)");

    // The grid leaves its height on the stage element; this layout sizes itself by CSS.
    root.style.removeProperty("height");
    root.classList.add(options.rootClass);
    this.slot = el("div", "rot-slot");
    this.progress = el("div", `rot-progress rot-progress--${options.dots ? "dots" : "bar"}`);
    this.progress.setAttribute("aria-hidden", "true");
    this.progress.hidden = true;
    this.track = el("div", "rot-track");
    this.count = el("span", "rot-count");
    this.progress.append(this.track, this.count);
    this.fill = el("span", "rot-fill");
    this.fillAnimation = null;
    this.dotCount = -1;
    root.append(this.slot, this.progress);

    // A new screen size (the projector changed mode) may fit the text differently.
    this.resizeObserver = new ResizeObserver(() => this.scheduleFit());
    this.resizeObserver.observe(root);
  }

  destroy() {
    clearTimeout(this.timer);
    cancelAnimationFrame(this.frame);
    this.resizeObserver.disconnect();
    if (this.fillAnimation) this.fillAnimation.cancel();
    for (const card of [this.outgoing && this.outgoing.card, this.current && this.current.card]) {
      if (!card) continue;
      for (const animation of card.getAnimations()) animation.cancel();
      discardCard(card);
    }
    this.outgoing = null;
    this.current = null;
    this.dropPreloads();
    this.slot.remove();
    this.progress.remove();
    this.root.classList.remove(this.options.rootClass);
  }

  /** The posts to rotate through, in order; info.reason/info.kind say what changed. */
  render(posts, info = {}) {
    const before = this.keys;
    const pinnedBefore = this.pinned;
    this.posts = posts;
    this.keys = new Set();
    this.pinned = new Set();
    for (const post of posts) {
      const key = keyOf(post.id);
      this.keys.add(key);
      if (post.pinned) this.pinned.add(key);
    }

    const live = info.reason === "change" || info.reason === "pace";
    if (live) {
      for (const post of posts) {
        const key = keyOf(post.id);
        if (!before.has(key)) this.upNext.push(key); // arrived: next in line
        else if (post.pinned && !pinnedBefore.has(key)) this.upNext.unshift(key); // just pinned
      }
    }
    this.upNext = [...new Set(this.upNext)].filter((key) => this.keys.has(key));
    if (this.anchor) {
      const at = this.indexOf(this.anchor.key);
      if (at >= 0) this.anchor.index = at; // if it has gone, its old place is where to go on
    }

    if (this.current && !this.keys.has(this.current.key)) {
      // Pulled (or pushed out by newer posts) while on show: it goes now, the next comes in.
      this.leave(info.kind === "retracted" || info.reason === "snapshot");
    }
    if (this.current) {
      const post = posts[this.indexOf(this.current.key)];
      this.current.post = post;
      if (updateCard(this.current.card, post, this.ctx)) this.dress(this.current.card, post);
    } else if (posts.length) {
      this.showNext();
    } else {
      this.leave(true); // nothing left: the page shows its idle screen
    }
    this.updateProgress();
    this.schedule();
  }

  refreshTimes() {
    refreshTimes(this.root, this.ctx);
  }

  /** wall.js calls this when the wall's settings changed (rotateSeconds among them). */
  configure() {
    this.updateProgress();
    this.schedule();
  }

  get rotateMs() {
    const settings = this.ctx.settings || {};
    const seconds = Number(settings.rotateSeconds ?? DEFAULT_ROTATE_SECONDS);
    return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
  }

  get reducedMotion() {
    return this.motion.matches;
  }

  indexOf(key) {
    return this.posts.findIndex((post) => keyOf(post.id) === key);
  }

  /** Arm the timer that moves on to the next post. */
  schedule() {
    clearTimeout(this.timer);
    this.timer = 0;
    if (!this.current) return;
    const waiting = this.upNext.some((key) => key !== this.current.key);
    if (!waiting && this.posts.length < 2) return;
    const rotate = this.rotateMs;
    if (!rotate && !waiting) return; // no rotation: stay until something new arrives
    const wait = Math.max(0, this.shownAt + rotate - performance.now());
    this.timer = setTimeout(() => {
      this.timer = 0;
      this.showNext();
      this.updateProgress();
      this.schedule();
    }, wait);
  }

  /**
   * The post to show next: one that arrived, else the one after the last post of the regular
   * order. consume: take it out of the arrivals (false: only look).
   */
  pickNext(consume) {
    const currentKey = this.current ? this.current.key : null;
    const queue = consume ? this.upNext : [...this.upNext];
    while (queue.length) {
      const key = queue.shift();
      if (key !== currentKey && this.keys.has(key)) {
        return { post: this.posts[this.indexOf(key)], regular: false };
      }
    }
    const count = this.posts.length;
    if (!count) return null;
    let index = 0;
    if (this.anchor) {
      const at = this.indexOf(this.anchor.key);
      index = at >= 0 ? at + 1 : this.anchor.index;
    }
    index %= count;
    if (keyOf(this.posts[index].id) === currentKey && count > 1) index = (index + 1) % count;
    return { post: this.posts[index], regular: true };
  }

  showNext() {
    const next = this.pickNext(true);
    if (!next) return;
    const key = keyOf(next.post.id);
    if (this.current && this.current.key === key) {
      this.shownAt = performance.now(); // the only post: it stays, the clock starts over
      return;
    }
    if (next.regular) this.anchor = { key, index: this.indexOf(key) };
    this.show(next.post);
  }

  show(post) {
    const first = !this.current && !this.outgoing;
    if (this.current) this.leave(false);
    const card = createCard(post, this.ctx);
    this.dress(card, post);
    this.slot.append(card);
    this.fit(card);
    this.current = { key: keyOf(post.id), post, card };
    this.shownAt = performance.now();
    const reduced = this.reducedMotion;
    card.animate(reduced ? [{ opacity: 0 }, { opacity: 1 }] : this.enterKeyframes(), {
      duration: reduced ? REDUCED_MS : this.options.enterMs,
      delay: reduced || first ? 0 : this.options.enterDelayMs || 0,
      easing: "cubic-bezier(0.22, 0.8, 0.24, 1)",
      fill: "backwards",
    });
    this.preloadNext();
  }

  /** Take the card on show away: at once, or fading out while the next one comes in. */
  leave(immediately) {
    if (this.outgoing) this.finishOutgoing();
    if (!this.current) return;
    const { card } = this.current;
    this.current = null;
    if (immediately) {
      for (const animation of card.getAnimations()) animation.cancel();
      discardCard(card);
      return;
    }
    card.classList.add("is-leaving");
    card.setAttribute("aria-hidden", "true");
    const reduced = this.reducedMotion;
    const keyframes = reduced ? [{ opacity: 1 }, { opacity: 0 }] : this.leaveKeyframes();
    const animation = card.animate(keyframes, {
      duration: reduced ? REDUCED_MS : this.options.leaveMs,
      easing: "cubic-bezier(0.4, 0, 0.6, 1)",
      fill: "forwards",
    });
    this.outgoing = { card, animation };
    animation.onfinish = () => {
      if (this.outgoing && this.outgoing.card === card) this.finishOutgoing();
    };
  }

  finishOutgoing() {
    const { card, animation } = this.outgoing;
    this.outgoing = null;
    animation.onfinish = null;
    animation.cancel();
    discardCard(card);
  }

  /** Arrange a new (or refilled) card for this layout; then fit its text. */
  dress(card, post) {
    card.classList.add(this.options.cardClass);
    this.arrange(card, post);
    if (card.isConnected) this.fit(card);
  }

  /** Subclasses rearrange the card's parts (render.js createCard's markup) here. */
  arrange() {}

  /** The largest text size at which the whole card fits; at the smallest, fewer lines. */
  fit(card) {
    const text = card.querySelector(".card__text");
    const body = card.querySelector(".card__body") || card;
    if (text) {
      text.style.removeProperty("--lines");
      text.classList.remove("is-clamped");
    }
    const boxFits = () =>
      card.scrollHeight <= card.clientHeight + 1 && body.scrollHeight <= body.clientHeight + 1;
    const fits = () => boxFits() && (!text || text.scrollHeight <= text.clientHeight + 1);
    for (const size of this.options.sizes) {
      card.dataset.size = size;
      if (fits()) return;
    }
    if (!text) return;
    // Still too long at the smallest size: fewer lines, the last one ending in an ellipsis.
    let lines = parseInt(getComputedStyle(text).getPropertyValue("--lines"), 10) || 6;
    while (lines > 2 && !boxFits()) {
      lines -= 1;
      text.style.setProperty("--lines", String(lines));
    }
    text.classList.toggle("is-clamped", text.scrollHeight > text.clientHeight + 1);
  }

  scheduleFit() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      if (this.current) this.fit(this.current.card);
    });
  }

  /** Dots (or "3 / 42") for where the rotation is, and a bar filling until the next post. */
  updateProgress() {
    const count = this.posts.length;
    const index = this.current ? this.indexOf(this.current.key) : -1;
    const rotating = count > 1 && this.rotateMs > 0 && index >= 0;
    this.progress.hidden = count < 2 || index < 0;
    if (this.progress.hidden) return;
    this.count.textContent = `${index + 1} / ${count}`;

    const dots = this.options.dots && count <= MAX_DOTS ? count : 1;
    this.progress.classList.toggle("rot-progress--counted", dots !== count);
    if (dots !== this.dotCount) {
      this.dotCount = dots;
      const children = [];
      for (let i = 0; i < dots; i += 1) children.push(el("span", "rot-dot"));
      this.track.replaceChildren(...children);
    }
    const active = this.track.children[dots === count ? index : 0];
    for (const dot of this.track.children) dot.classList.toggle("is-active", dot === active);
    if (this.fill.parentNode !== active) active.append(this.fill);
    this.fill.hidden = !rotating;
    this.restartFill(rotating);
  }

  restartFill(rotating) {
    const key = this.current ? this.current.key : null;
    const duration = this.rotateMs;
    if (this.fillAnimation && this.fillKey === key && this.fillDuration === duration) return;
    if (this.fillAnimation) this.fillAnimation.cancel();
    this.fillAnimation = null;
    this.fillKey = key;
    this.fillDuration = duration;
    if (!rotating || this.reducedMotion) return;
    // Infinite iterations: it starts over with every post anyway, and a finite one would
    // keep tests' "wait until every animation has ended" from ever being true.
    this.fillAnimation = this.fill.animate(
      [{ transform: "scaleX(0)" }, { transform: "scaleX(1)" }],
      { duration, iterations: Infinity },
    );
    this.fillAnimation.currentTime = Math.min(duration - 1, performance.now() - this.shownAt);
  }

  /** Fetch the next post's pictures ahead, so that it comes in complete. */
  preloadNext() {
    this.dropPreloads();
    const next = this.pickNext(false);
    if (!next) return;
    const { author, media } = next.post;
    const urls = [];
    if (author && typeof author.avatar_url === "string" && author.avatar_url) {
      urls.push(author.avatar_url);
    }
    for (const item of Array.isArray(media) ? media.slice(0, this.options.mediaShown) : []) {
      if (!item || typeof item !== "object") continue;
      const image = item.kind === "image";
      const still = image ? item.url || item.preview_url : item.preview_url;
      // A video without a still of its own has its own file as preview_url: no picture.
      if (typeof still === "string" && still && (image || still !== item.url)) urls.push(still);
    }
    for (const url of urls) {
      const img = new Image();
      img.decoding = "async";
      img.referrerPolicy = "no-referrer";
      img.src = url;
      this.preloads.push(img);
    }
  }

  dropPreloads() {
    for (const img of this.preloads) img.removeAttribute("src");
    this.preloads = [];
  }
}

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
