// The "spotlight" layout: one post at a time, large and centred, rotating through the wall's
// posts (pinned first, then newest first; see rotation.js for the rules). A post with pictures
// or a video shows them large beside its text (above it on a portrait screen); a text-only post
// is set as a big quote. The text takes the largest size at which the whole post fits.
//
// Not to be confused with ../spotlight.js: the overlay a moderator puts over any layout.

import { el, RotatingLayout } from "./rotation.js";

export class SpotlightLayout extends RotatingLayout {
  constructor(root, ctx) {
    super(root, ctx, {
      rootClass: "wall-grid--spotlight",
      cardClass: "card--spot",
      sizes: ["xxl", "xl", "l", "m", "s", "xs"],
      dots: true,
      enterMs: 1100,
      enterDelayMs: 250,
      mediaShown: 3,
      leaveMs: 750,
    });
  }

  /** card > [media] + body > [pin, author, warning, text, meta] */
  arrange(card) {
    const media = card.querySelector(":scope > .card__media");
    const body = el("div", "card__body");
    for (const child of [...card.children]) {
      if (child !== media) body.append(child);
    }
    card.replaceChildren(...(media ? [media, body] : [body]));
  }

  enterKeyframes() {
    return [
      { opacity: 0, transform: "translateY(1.2rem) scale(0.985)" },
      { opacity: 1, transform: "none" },
    ];
  }

  leaveKeyframes() {
    return [
      { opacity: 1, transform: "none" },
      { opacity: 0, transform: "scale(1.01)" },
    ];
  }
}
