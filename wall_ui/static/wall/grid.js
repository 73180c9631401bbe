// The "grid" layout: a masonry of cards, newest top-left, each card in the shortest column.
//
// Cards are absolutely positioned (CSS `translate`, set through the CSSOM, which the page's CSP
// allows) so that a new post can slide in and the others glide to their new places, instead of
// every column reflowing at once as CSS columns would.

import { createCard, discardCard, refreshTimes, updateCard } from "./render.js";
import { keyOf } from "./store.js";

const MOVE_MS = 800;
const ENTER_MS = 750;
const STAGGER_MS = 55;
const STAGGER_MAX_MS = 1200;
const FRESH_MS = 6000; // how long a newly arrived card keeps its accent glow
const EASE = "cubic-bezier(0.22, 0.8, 0.24, 1)";

export class GridLayout {
  constructor(root, ctx) {
    this.root = root;
    this.ctx = ctx;
    this.cards = new Map(); // post key -> card element
    this.order = []; // cards in display order
    this.positions = new WeakMap(); // card -> {x, y}
    this.entering = new Set(); // cards not yet placed
    this.firstRender = true;
    this.frame = 0;
    this.motion = window.matchMedia("(prefers-reduced-motion: reduce)");
    this.resizeObserver = new ResizeObserver(() => this.schedule());
    this.resizeObserver.observe(root);
    this.root.classList.add("wall-grid--masonry");
  }

  destroy() {
    cancelAnimationFrame(this.frame);
    this.resizeObserver.disconnect();
    this.root.replaceChildren();
    this.cards.clear();
    this.root.classList.remove("wall-grid--masonry");
  }

  /** Show exactly these posts, in this order. */
  render(posts, info = {}) {
    const wanted = new Map(posts.map((post) => [keyOf(post.id), post]));
    for (const [key, card] of this.cards) {
      if (!wanted.has(key)) this.leave(key, card);
    }

    const order = [];
    let previous = null;
    for (const [key, post] of wanted) {
      let card = this.cards.get(key);
      if (card) {
        updateCard(card, post, this.ctx);
        if (info.reason === "reshow" && key === info.key) {
          // Shown again: it comes in at the top like a new post instead of gliding up.
          this.positions.delete(card);
          this.entering.add(card);
        }
      } else {
        card = createCard(post, this.ctx);
        this.cards.set(key, card);
        this.entering.add(card);
        if (!this.firstRender && info.reason === "change") this.markFresh(card);
        this.resizeObserver.observe(card);
      }
      // Keep DOM order equal to display order (screen readers, tests); only misplaced nodes move.
      const expected = previous ? previous.nextElementSibling : this.root.firstElementChild;
      if (card !== expected) this.root.insertBefore(card, expected);
      previous = card;
      order.push(card);
    }
    this.order = order;
    this.layout();
    if (order.length) this.firstRender = false;
  }

  refreshTimes() {
    refreshTimes(this.root, this.ctx);
  }

  leave(key, card) {
    // Gone at once, not faded: a retracted post was pulled by a moderator for a reason, and a
    // post pushed out by newer ones sits at the bottom. The others glide into the space.
    this.cards.delete(key);
    this.entering.delete(card);
    this.positions.delete(card);
    this.resizeObserver.unobserve(card);
    discardCard(card);
  }

  markFresh(card) {
    card.dataset.fresh = "true";
    setTimeout(() => delete card.dataset.fresh, FRESH_MS);
  }

  get reducedMotion() {
    return this.motion.matches;
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.layout();
    });
  }

  /** Place every card in the shortest column; animate the ones that moved. */
  layout() {
    const style = getComputedStyle(this.root);
    const columns = Math.max(1, parseInt(style.getPropertyValue("--cols"), 10) || 1);
    const gapX = parseFloat(style.columnGap) || 0;
    const gapY = parseFloat(style.rowGap) || gapX;
    const width = this.root.clientWidth;
    const columnWidth = (width - gapX * (columns - 1)) / columns;

    const heights = new Array(columns).fill(0);
    const placed = [];
    for (const card of this.order) {
      let column = 0;
      for (let c = 1; c < columns; c += 1) if (heights[c] < heights[column] - 1) column = c;
      const x = Math.round(column * (columnWidth + gapX));
      const y = Math.round(heights[column]);
      heights[column] += card.offsetHeight + gapY;
      placed.push([card, x, y]);
    }
    this.root.style.height = `${Math.max(0, ...heights)}px`;

    let staggerIndex = 0;
    for (const [card, x, y] of placed) {
      markClamped(card);
      if (this.entering.has(card)) {
        this.entering.delete(card);
        this.positions.set(card, { x, y });
        card.style.translate = `${x}px ${y}px`;
        this.enter(card, this.firstRender ? Math.min(STAGGER_MAX_MS, staggerIndex * STAGGER_MS) : 0);
        staggerIndex += 1;
      } else {
        this.move(card, x, y);
      }
    }
  }

  enter(card, delay) {
    const keyframes = this.reducedMotion
      ? [{ opacity: 0 }, { opacity: 1 }]
      : [
          { opacity: 0, transform: "translateY(2.5rem) scale(0.96)" },
          { opacity: 1, transform: "none" },
        ];
    card.animate(keyframes, {
      duration: this.reducedMotion ? 300 : ENTER_MS,
      delay,
      easing: EASE,
      fill: "backwards",
    });
  }

  move(card, x, y) {
    const old = this.positions.get(card);
    if (old && old.x === x && old.y === y) return;
    this.positions.set(card, { x, y });
    const to = `${x}px ${y}px`;
    // Start from where the card is drawn now, which is mid-way if it was already moving.
    const from = getComputedStyle(card).translate;
    for (const animation of card.getAnimations()) {
      if (animation.id === "move") animation.cancel();
    }
    card.style.translate = to;
    if (this.reducedMotion || !old || from === "none") return;
    const animation = card.animate([{ translate: from }, { translate: to }], {
      duration: MOVE_MS,
      easing: EASE,
    });
    animation.id = "move";
  }
}

/** Fade out the last lines of a text that does not fit its line limit. */
function markClamped(card) {
  const text = card.querySelector(".card__text");
  if (!text) return;
  text.classList.toggle("is-clamped", text.scrollHeight > text.clientHeight + 2);
}
