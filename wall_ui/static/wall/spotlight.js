// Spotlight: one post shown large over the wall for a while, because a moderator asked for it
// (change kind "spotlight"). A newer spotlight replaces it; retracting the post ends it at once.

import { createCard, discardCard } from "./render.js";

export class Spotlight {
  constructor(doc, ctx) {
    this.doc = doc;
    this.ctx = ctx;
    this.root = doc.createElement("section");
    this.root.className = "wall-spotlight";
    this.root.hidden = true;
    this.root.setAttribute("aria-live", "polite");
    doc.body.append(this.root);
    this.postId = null;
    this.timer = null;
  }

  show(post, seconds) {
    this.hide();
    const card = createCard(post, this.ctx);
    card.classList.add("card--spotlight");
    this.root.replaceChildren(card);
    this.root.hidden = false;
    this.postId = post.id;
    this.doc.body.dataset.spotlight = String(post.id);
    const ms = Math.max(5, Math.min(300, Number(seconds) || 20)) * 1000;
    this.timer = setTimeout(() => this.hide(), ms);
  }

  /** End the spotlight (of this post only, when an id is given). */
  hide(postId) {
    if (postId !== undefined && String(postId) !== String(this.postId)) return;
    clearTimeout(this.timer);
    this.timer = null;
    this.postId = null;
    this.root.hidden = true;
    const card = this.root.firstElementChild;
    if (card) discardCard(card);
    delete this.doc.body.dataset.spotlight;
  }
}
