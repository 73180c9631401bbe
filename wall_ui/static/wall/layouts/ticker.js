// The "ticker" layout: a lower third. One post at a time in a band across the bottom of the
// screen, like a broadcast name strap: avatar, name, two or three lines of text and the first
// picture as a thumbnail; the rest of the stage stays empty (for slides or a stream beside or
// above it). It moves on every rotateSeconds, by the rules in rotation.js.

import { discardCard } from "../render.js";
import { el, RotatingLayout } from "./rotation.js";

export class TickerLayout extends RotatingLayout {
  constructor(root, ctx) {
    super(root, ctx, {
      rootClass: "wall-grid--ticker",
      cardClass: "card--tick",
      sizes: ["l", "m", "s"],
      dots: false,
      enterMs: 900,
      enterDelayMs: 200,
      mediaShown: 1,
      leaveMs: 500,
    });
    // The band itself stays while the posts change inside it.
    this.band = el("div", "tick-band");
    this.band.setAttribute("aria-hidden", "true");
    root.prepend(this.band);
  }

  destroy() {
    super.destroy();
    this.band.remove();
  }

  /** card > [avatar, body > [head > [name, handle, pin, meta], warning, text], thumbnail] */
  arrange(card, post) {
    const part = (name) => card.querySelector(`:scope > .${name}`);
    const author = part("card__author");
    const media = part("card__media");
    const head = el("div", "card__head");
    const body = el("div", "card__body");
    const avatar = author && author.querySelector(".avatar");
    if (author) head.append(...author.children);
    if (avatar) avatar.remove();
    for (const name of ["card__pin", "card__meta"]) {
      const node = part(name);
      if (node) head.append(node);
    }
    body.append(head);
    for (const name of ["card__cw", "card__text"]) {
      const node = part(name);
      if (node) body.append(node);
    }
    const parts = [avatar, body];
    if (media) parts.push(thumbnail(media, post, this.ctx.i18n));
    card.replaceChildren(...parts.filter(Boolean));
  }

  enterKeyframes() {
    return [
      { opacity: 0, transform: "translateX(-1.5rem)", clipPath: "inset(0 100% 0 0)" },
      { opacity: 1, transform: "none", clipPath: "inset(0 0 0 0)" },
    ];
  }

  leaveKeyframes() {
    return [
      { opacity: 1, transform: "none" },
      { opacity: 0, transform: "translateY(-0.8rem)" },
    ];
  }
}

/** Only the first picture, with "+2" if the post has more; the others are let go unloaded. */
function thumbnail(media, post, i18n) {
  const cells = [...media.querySelectorAll(".card__media-item")];
  for (const cell of cells.slice(1)) {
    discardCard(cell);
  }
  for (const more of media.querySelectorAll(".card__media-more")) more.remove();
  media.className = media.className.replace(/card__media--\d+/, "card__media--1");
  const shown = (m) => m && ["image", "video", "gifv"].includes(m.kind);
  const total = Array.isArray(post.media) ? post.media.filter(shown).length : 1;
  if (total > 1 && cells[0]) {
    cells[0].append(el("span", "card__media-more", i18n.t.moreMedia(total - 1)));
  }
  return media;
}
