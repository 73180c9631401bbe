// Source, hashtag, media-only and text search: sent to GET /api/posts, and applied to live
// frames too, so a new post only appears when it matches what the moderator is looking at.

import { el } from "./dom.js";

const SEARCH_DELAY_MS = 250;

export class Filters {
  constructor({ search, source, hashtag, media, onChange }) {
    Object.assign(this, { search, source, hashtag, media, onChange });
    let timer = null;
    search.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(onChange, SEARCH_DELAY_MS);
    });
    search.form.addEventListener("submit", (event) => {
      event.preventDefault();
      clearTimeout(timer);
      search.blur(); // closes the on-screen keyboard
      onChange();
    });
    for (const control of [source, hashtag, media]) control.addEventListener("change", onChange);
  }

  get values() {
    return {
      q: this.search.value.trim(),
      source: this.source.value,
      hashtag: this.hashtag.value.replace(/^#/, ""),
      media: this.media.checked,
    };
  }

  get active() {
    const v = this.values;
    return Boolean(v.q || v.source || v.hashtag || v.media);
  }

  /** Query parameters for GET /api/posts. */
  params() {
    const v = this.values;
    const params = {};
    if (v.q) params.q = v.q;
    if (v.source) params.source = v.source;
    if (v.hashtag) params.hashtag = v.hashtag;
    if (v.media) params.media = "true";
    return params;
  }

  /** The same filters, for a post that arrives by websocket. */
  matches(post) {
    const v = this.values;
    if (v.source && post.source_name !== v.source) return false;
    if (v.hashtag && !(post.hashtags || []).some((h) => h.toLowerCase() === v.hashtag.toLowerCase())) {
      return false;
    }
    if (v.media && !(post.media || []).length) return false;
    if (v.q) {
      const needle = v.q.toLowerCase();
      const hay = [post.text, post.author && post.author.name, post.author && post.author.handle]
        .filter(Boolean).join("\n").toLowerCase();
      if (!hay.includes(needle)) return false;
    }
    return true;
  }

  /** Offer the sources and hashtags seen so far (the event's own hashtags first). */
  learn({ posts = [], sources = [], eventTags = null }) {
    this.seen ??= { sources: new Set(), tags: new Set(), eventTags: [] };
    if (eventTags) this.seen.eventTags = eventTags;
    for (const name of sources) this.seen.sources.add(name);
    for (const post of posts) {
      this.seen.sources.add(post.source_name);
      for (const tag of post.hashtags || []) this.seen.tags.add(tag);
    }
    const own = this.seen.eventTags;
    const lower = new Set(own.map((t) => t.toLowerCase()));
    const others = [...this.seen.tags].filter((t) => !lower.has(t.toLowerCase())).sort((a, b) => a.localeCompare(b));
    fill(this.source, [...this.seen.sources], (name) => name);
    fill(this.hashtag, [...own, ...others].slice(0, 40), (tag) => `#${tag}`);
  }

  /** Another event: its sources and hashtags are different ones. */
  forget(eventTags) {
    this.seen = { sources: new Set(), tags: new Set(), eventTags };
    this.source.value = "";
    this.hashtag.value = "";
    this.learn({});
  }
}

function fill(select, values, label) {
  const chosen = select.value;
  const first = select.options[0];
  const unique = [...new Set(values.filter(Boolean))];
  if (chosen && !unique.includes(chosen)) unique.push(chosen);
  const options = unique.map((value) => {
    const option = el("option", null, label(value));
    option.value = value;
    return option;
  });
  select.replaceChildren(first, ...options);
  select.value = chosen;
}
