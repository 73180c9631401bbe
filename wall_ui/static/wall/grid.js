// The "grid" layout: a masonry of cards, newest top-left, each card in the shortest column.
//
// Cards are absolutely positioned (CSS `translate`, set through the CSSOM, which the page's CSP
// allows) so that a new post can slide in and the others glide to their new places, instead of
// every column reflowing at once as CSS columns would.
//
// When things happen: render() changes the DOM at once (a new card is in the document as soon
// as its frame is handled, a retracted one is gone) and reads nothing back from it. Placing the
// cards needs their heights, and a read after a write makes the browser recompute style and
// layout on the spot, once per card if reads and writes take turns. So placement runs in the next
// animation frame (before that frame is painted, so no card is ever seen unplaced) and in two
// phases: all reads first (one style and layout pass however many cards there are), then all
// writes, which the browser applies in the pass it makes for painting anyway. A burst of posts
// within one frame is placed once.

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
    this.positions = new WeakMap(); // card -> {x, y} it was placed at; none yet: not placed
    this.heights = new WeakMap(); // card -> offsetHeight the last placement used
    this.glides = new WeakMap(); // card -> its move Animation
    this.width = -1; // of the stage, as the ResizeObserver last reported it
    this.firstRender = true;
    this.frame = 0;
    this.motion = window.matchMedia("(prefers-reduced-motion: reduce)");
    this.resizeObserver = new ResizeObserver((entries) => this.resized(entries));
    this.resizeObserver.observe(root);
    this.root.classList.add("wall-grid--masonry");
  }

  destroy() {
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.resizeObserver.disconnect();
    for (const card of this.cards.values()) discardCard(card);
    this.cards.clear();
    this.root.replaceChildren();
    this.root.style.removeProperty("height");
    this.root.classList.remove("wall-grid--masonry");
  }

  /** Show exactly these posts, in this order: the DOM now, the placement in the next frame. */
  render(posts, info = {}) {
    const wanted = new Map(posts.map((post) => [keyOf(post.id), post]));
    for (const [key, card] of this.cards) {
      if (!wanted.has(key)) this.leave(key, card);
    }

    const order = [];
    let previous = null;
    let entering = 0;
    for (const [key, post] of wanted) {
      let card = this.cards.get(key);
      let enters = false;
      if (card) {
        updateCard(card, post, this.ctx);
        // Shown again: it comes in at the top like a new post instead of gliding up.
        enters = info.reason === "reshow" && key === info.key;
        if (enters) this.unplace(card);
      } else {
        card = createCard(post, this.ctx);
        this.cards.set(key, card);
        if (!this.firstRender && info.reason === "change") this.markFresh(card);
        this.resizeObserver.observe(card);
        enters = true;
      }
      // Keep DOM order equal to display order (screen readers, tests); only misplaced nodes move.
      const expected = previous ? previous.nextElementSibling : this.root.firstElementChild;
      if (card !== expected) this.root.insertBefore(card, expected);
      if (enters) {
        // Started now (it only writes), so whoever waits for the wall to settle sees it coming;
        // it is first drawn in the frame that places the card.
        this.enter(card, this.firstRender ? Math.min(STAGGER_MAX_MS, entering * STAGGER_MS) : 0);
        entering += 1;
      }
      previous = card;
      order.push(card);
    }
    this.order = order;
    if (order.length) this.firstRender = false;
    this.schedule();
  }

  refreshTimes() {
    refreshTimes(this.root, this.ctx);
  }

  leave(key, card) {
    // Gone at once, not faded: a retracted post was pulled by a moderator for a reason, and a
    // post pushed out by newer ones sits at the bottom. The others glide into the space.
    this.cards.delete(key);
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

  /**
   * A ResizeObserver reports every element once when it is first observed, and after each layout
   * that resized it (the stage also when layout() sets its height). Only a stage width or a card
   * height that the last placement did not use needs a new one.
   */
  resized(entries) {
    for (const { target, borderBoxSize } of entries) {
      const [box] = borderBoxSize;
      if (target === this.root) {
        const width = Math.round(box.inlineSize);
        if (width === this.width) continue;
        this.width = width;
      } else if (Math.round(box.blockSize) === this.heights.get(target)) {
        continue;
      }
      this.schedule();
    }
  }

  /** Place every card in the shortest column; glide the ones that moved. */
  layout() {
    // Read phase: nothing is written until every measurement is taken. The first read brings
    // style and layout up to date; the others find them clean.
    const style = getComputedStyle(this.root);
    const columns = Math.max(1, parseInt(style.getPropertyValue("--cols"), 10) || 1);
    const gapX = parseFloat(style.columnGap) || 0;
    const gapY = parseFloat(style.rowGap) || gapX;
    const columnWidth = (this.root.clientWidth - gapX * (columns - 1)) / columns;

    const columnHeights = new Array(columns).fill(0);
    const placements = [];
    for (const card of this.order) {
      let column = 0;
      for (let c = 1; c < columns; c += 1) {
        if (columnHeights[c] < columnHeights[column] - 1) column = c;
      }
      const x = Math.round(column * (columnWidth + gapX));
      const y = Math.round(columnHeights[column]);
      const height = card.offsetHeight;
      this.heights.set(card, height);
      columnHeights[column] += height + gapY;

      const old = this.positions.get(card);
      const moved = !old || old.x !== x || old.y !== y;
      const text = card.querySelector(".card__text");
      placements.push({
        card,
        x,
        y,
        moved,
        text,
        clamped: Boolean(text) && text.scrollHeight > text.clientHeight + 2,
        // A placed card glides from where it is drawn now: mid-way if it is already gliding.
        from: moved && old ? getComputedStyle(card).translate : null,
      });
    }

    // Write phase: no reads from here on, so the browser recomputes style once, for painting.
    const stageHeight = `${Math.max(0, ...columnHeights)}px`;
    if (this.root.style.height !== stageHeight) this.root.style.height = stageHeight;
    for (const { card, x, y, moved, text, clamped, from } of placements) {
      // A text over its line limit fades out at the bottom (the mask does not change heights).
      if (text) text.classList.toggle("is-clamped", clamped);
      if (moved) this.place(card, x, y, from);
    }
  }

  /** Set a card's place; animate it from `from` (a CSS translate) if given. */
  place(card, x, y, from) {
    this.positions.set(card, { x, y });
    const to = `${x}px ${y}px`;
    this.stopGliding(card);
    card.style.translate = to;
    if (!from || from === "none" || this.reducedMotion) return;
    const glide = card.animate([{ translate: from }, { translate: to }], {
      duration: MOVE_MS,
      easing: EASE,
    });
    this.glides.set(card, glide);
  }

  /** Forget a card's place: the next layout puts it down without a glide. */
  unplace(card) {
    this.positions.delete(card);
    this.stopGliding(card);
  }

  stopGliding(card) {
    const glide = this.glides.get(card);
    if (glide) glide.cancel();
    this.glides.delete(card);
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
}
