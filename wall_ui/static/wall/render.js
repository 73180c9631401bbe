// Builds the DOM of one post card. Post data is untrusted: it only ever reaches the page through
// textContent and attribute setters, never as markup.

import { keyOf } from "./store.js";
import { releaseVideo, watchVideo } from "./videos.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const MAX_MEDIA = 3;
const SHORT_TEXT = 110; // characters; a short text-only post is set larger
const AVATAR_TONES = 6;

// A URL, or a hashtag that does not sit inside a word, URL or HTML entity.
const TOKEN = /(https?:\/\/[^\s<>"]+)|(?<![\p{L}\p{N}\p{M}_&/#])#([\p{L}\p{M}\p{N}_]+)/gu;
const URL_TRAILING_PUNCTUATION = /[.,;:!?)\]}'"»“”]+$/u;

const signatures = new WeakMap(); // card -> JSON of the post it shows

/**
 * ctx: {i18n, clock: {now()}, wallTags: Set of lower-case hashtags}.
 * Returns an <article class="card" data-post-id="…">.
 */
export function createCard(post, ctx) {
  const card = el("article", "card");
  fillCard(card, post, ctx);
  return card;
}

/** Re-render a card in place when its post changed (approved again, pinned, unpinned). */
export function updateCard(card, post, ctx) {
  if (signatures.get(card) === JSON.stringify(post)) return false;
  fillCard(card, post, ctx);
  return true;
}

/**
 * Let go of a card's pictures and videos once it has left the screen: without a source an image
 * drops its decoded bitmap and a video its decoder and buffers at once, not whenever the garbage
 * collector gets to the detached card. discardCard calls it just before a card leaves the page
 * for good; a refill (updateCard) calls it on the contents it replaces.
 */
function releaseCard(card) {
  for (const video of card.querySelectorAll("video")) releaseVideo(video);
  for (const img of card.querySelectorAll("img")) {
    img.removeAttribute("srcset");
    img.removeAttribute("src");
  }
}

/** Take a card off the page for good, its media released first: in Chromium, an image whose
    src goes away only after it left the document keeps the whole card alive. */
export function discardCard(card) {
  releaseCard(card);
  card.remove();
}

/** Refresh the "vor 3 Min." labels of every card under root. */
export function refreshTimes(root, ctx) {
  const now = ctx.clock.now();
  for (const time of root.querySelectorAll("time.card__time")) {
    time.textContent = ctx.i18n.time(time.dateTime, now);
  }
}

function fillCard(card, post, ctx) {
  const { i18n } = ctx;
  signatures.set(card, JSON.stringify(post));
  const text = normaliseText(post);
  const media = mediaOf(post);
  const warning = stringOr(post.content_warning, "").trim();
  const sensitive = Boolean(post.sensitive) || warning !== "";

  card.className = "card";
  card.dataset.postId = keyOf(post.id);
  card.dataset.source = stringOr(post.source, "").toLowerCase();
  card.classList.toggle("card--pinned", Boolean(post.pinned));
  card.classList.toggle("card--media", media.length > 0);
  card.classList.toggle("card--warning", warning !== "");
  card.classList.toggle(
    "card--short",
    !media.length && !warning && text.length > 0 && text.length <= SHORT_TEXT,
  );
  if (post.pinned) card.dataset.pinned = "true";
  else delete card.dataset.pinned;
  if (card.firstChild) releaseCard(card); // refilled: the old media go first

  const parts = [];
  if (post.pinned) parts.push(pinBadge(i18n.t.pinned));
  parts.push(authorRow(post.author || {}));
  if (warning) parts.push(warningRow(warning, i18n.t.contentWarning));
  if (text) parts.push(textBlock(text, post.lang, ctx.wallTags));
  if (media.length) parts.push(mediaBlock(media, sensitive, i18n));
  parts.push(metaRow(post, ctx));
  card.replaceChildren(...parts);
}

function authorRow(author) {
  const name = stringOr(author.name, "").trim();
  const handle = stringOr(author.handle, "").trim();
  const row = el("header", "card__author");
  row.append(avatar(author, name || handle));
  const who = el("div", "card__who");
  const nameEl = el("span", "card__name", name || handle);
  nameEl.dir = "auto";
  who.append(nameEl);
  if (handle && handle !== name) {
    const handleEl = el("span", "card__handle", handle);
    handleEl.dir = "ltr";
    who.append(handleEl);
  }
  row.append(who);
  return row;
}

function avatar(author, label) {
  const box = el("span", "avatar");
  box.dataset.tone = String(hash(stringOr(author.handle, "") || label) % AVATAR_TONES);
  const initials = el("span", "avatar__initials", initialsOf(label));
  initials.setAttribute("aria-hidden", "true");
  box.append(initials);
  const url = stringOr(author.avatar_url, "");
  if (url) {
    const img = document.createElement("img");
    img.className = "avatar__img";
    img.alt = "";
    img.decoding = "async";
    img.referrerPolicy = "no-referrer";
    // The initials stay underneath until the picture has loaded, and for good if it fails.
    img.addEventListener("load", () => box.classList.add("avatar--loaded"), { once: true });
    img.addEventListener("error", () => img.remove(), { once: true });
    img.src = url;
    box.append(img);
  }
  return box;
}

function warningRow(warning, label) {
  const row = el("div", "card__cw");
  row.append(el("span", "card__cw-label", label));
  const text = el("span", "card__cw-text", warning);
  text.dir = "auto";
  row.append(text);
  return row;
}

function textBlock(text, lang, wallTags) {
  const block = el("div", "card__text");
  block.dir = "auto";
  if (typeof lang === "string" && /^[a-z]{2,3}(-[A-Za-z0-9]+)*$/.test(lang)) block.lang = lang;
  let last = 0;
  for (const match of text.matchAll(TOKEN)) {
    let [whole, url, tag] = match;
    if (url) {
      const trailing = url.match(URL_TRAILING_PUNCTUATION);
      if (trailing) url = url.slice(0, -trailing[0].length);
      whole = url;
    } else if (!/\p{L}/u.test(tag)) {
      continue; // "#1" is a number, not a hashtag
    }
    block.append(text.slice(last, match.index));
    if (url) {
      const link = el("span", "card__link", shortUrl(url));
      link.dir = "ltr";
      block.append(link);
    } else {
      const tagEl = el("span", "card__tag", `#${tag}`);
      // Isolated, so "#Tag" keeps its "#" in front inside right-to-left text.
      tagEl.dir = "auto";
      if (wallTags.has(tag.toLowerCase())) tagEl.classList.add("card__tag--wall");
      block.append(tagEl);
    }
    last = match.index + whole.length;
  }
  block.append(text.slice(last));
  return block;
}

function mediaBlock(media, sensitive, i18n) {
  const shown = media.slice(0, MAX_MEDIA);
  const block = el("div", `card__media card__media--${shown.length}`);
  if (shown.length === 1) block.style.aspectRatio = String(singleRatio(shown[0]));
  for (const [index, item] of shown.entries()) {
    const cell = el("div", "card__media-item");
    if (item.video) {
      cell.classList.add("card__media-item--video");
      cell.append(videoOf(item, sensitive));
    } else {
      const img = document.createElement("img");
      img.alt = stringOr(item.alt, "");
      img.decoding = "async";
      img.referrerPolicy = "no-referrer";
      img.addEventListener("error", () => cell.classList.add("is-broken"), { once: true });
      img.src = item.src;
      cell.append(img);
    }
    const more = media.length - shown.length;
    if (more > 0 && index === shown.length - 1) {
      cell.append(el("span", "card__media-more", i18n.t.moreMedia(more)));
    }
    block.append(cell);
  }
  if (sensitive) {
    block.classList.add("card__media--sensitive");
    block.append(el("span", "card__media-veil", i18n.t.sensitive));
  }
  return block;
}

/**
 * A video (or a GIF, which sources deliver as a short video): muted, looping, inline, and
 * playing only while it is on screen (videos.js). Behind a content warning it stays a still,
 * blurred like the pictures, and is never started.
 */
function videoOf(item, sensitive) {
  const video = document.createElement("video");
  video.muted = true;
  video.defaultMuted = true; // the `muted` attribute, so the markup says so too
  video.loop = true;
  video.playsInline = true;
  video.preload = "metadata";
  video.disablePictureInPicture = true;
  video.disableRemotePlayback = true;
  const alt = stringOr(item.alt, "");
  if (alt) video.setAttribute("aria-label", alt);
  if (item.poster) video.poster = item.poster;
  video.src = item.src;
  if (!sensitive) watchVideo(video);
  return video;
}

function metaRow(post, ctx) {
  const row = el("footer", "card__meta");
  const source = ctx.i18n.sourceLabel(post.source);
  if (source) row.append(el("span", "card__source", source));
  if (typeof post.created_at === "string") {
    const time = el("time", "card__time", ctx.i18n.time(post.created_at, ctx.clock.now()));
    time.dateTime = post.created_at;
    row.append(time);
  }
  return row;
}

function pinBadge(label) {
  const badge = el("span", "card__pin");
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.classList.add("card__pin-icon");
  const path = document.createElementNS(SVG_NS, "path");
  path.setAttribute("d", "M15 3l6 6-3 1-3.5 3.5.5 4.5-2 2-4-4-5 5-1-1 5-5-4-4 2-2 4.5.5L14 6z");
  svg.append(path);
  badge.append(svg, el("span", null, label));
  return badge;
}

function mediaOf(post) {
  if (!Array.isArray(post.media)) return [];
  const out = [];
  for (const item of post.media) {
    if (!item || typeof item !== "object") continue;
    const url = stringOr(item.url, "");
    const preview = stringOr(item.preview_url, "");
    if (item.kind === "video" || item.kind === "gifv") {
      // The still is only a poster if it is a picture: without a preview of its own a video's
      // preview_url is the video file again.
      if (url) out.push({ ...item, video: true, src: url, poster: preview !== url ? preview : "" });
      else if (preview) out.push({ ...item, src: preview });
    } else if (item.kind === "image" || item.kind === undefined) {
      const src = url || preview;
      if (src) out.push({ ...item, src });
    }
    // Audio has nothing to show on a wall.
  }
  return out;
}

function singleRatio(item) {
  const ratio = Number(item.width) / Number(item.height);
  if (!Number.isFinite(ratio) || ratio <= 0) return 4 / 3;
  // Very tall pictures would eat a column; very wide ones would be slivers.
  return Math.min(1.91, Math.max(0.9, ratio));
}

function normaliseText(post) {
  let text = stringOr(post.text, "");
  if (!text && typeof post.html === "string" && post.html) {
    // Only the text content of the sanitised markup: parsed in an inert document, never inserted.
    text = htmlToText(post.html);
  }
  return text.replace(/\r\n?/g, "\n").replace(/[ \t]+\n/g, "\n").replace(/\n{3,}/g, "\n\n").trim();
}

function htmlToText(html) {
  const doc = new DOMParser().parseFromString(html, "text/html");
  for (const br of doc.querySelectorAll("br")) br.replaceWith("\n");
  for (const p of doc.querySelectorAll("p")) p.append("\n\n");
  return doc.body.textContent || "";
}

function shortUrl(url) {
  const bare = url.replace(/^https?:\/\/(www\.)?/, "").replace(/\/$/, "");
  return bare.length > 32 ? `${bare.slice(0, 31)}…` : bare;
}

function initialsOf(name) {
  const letters = [];
  for (const word of name.replace(/^@/, "").split(/[\s._-]+/)) {
    const first = Array.from(word).find((ch) => /[\p{L}\p{N}]/u.test(ch));
    if (first) letters.push(first);
  }
  if (!letters.length) return "?";
  const picked = letters.length > 1 ? letters[0] + letters[letters.length - 1] : letters[0];
  return picked.toLocaleUpperCase();
}

function hash(value) {
  let h = 0;
  for (const ch of value) h = (Math.imul(h, 31) + ch.codePointAt(0)) >>> 0;
  return h;
}

function stringOr(value, fallback) {
  return typeof value === "string" ? value : fallback;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
