// One post as a card on the desk. Everything from the post goes in through textContent.

import { button, el, icon } from "./dom.js";
import { age, say, t } from "./texts.js";

// Rule names (app/rules) that have a label of their own; others show as "Regel NAME".
const FLAG_RULES = new Set([
  "blocked_word", "blocked_author", "blocked_domain", "require_media", "language", "reply",
  "repost", "trusted_author", "sensitive", "link",
]);

/** The actions a card offers on each tab: [primary (left, right)], [secondary]. */
export function actionsFor(tab, post) {
  if (tab === "queue") {
    if (post.status === "approved") {
      // Approved, then edited at its source: the edit waits for a second look.
      return {
        primary: [["reject", "desk_reject_edit", "reject", "stop"], ["approve", "desk_approve_edit", "approve", "go"]],
        secondary: [],
      };
    }
    return {
      primary: [["reject", "reject", "reject", "stop"], ["approve", "approve", "approve", "go"]],
      secondary: [["hold", "desk_hold", "hold"], ["approve-pin", "desk_approve_pin", "pin"]],
    };
  }
  if (tab === "held") {
    return {
      primary: [["reject", "reject", "reject", "stop"], ["approve", "approve", "approve", "go"]],
      secondary: [["unhold", "desk_unhold", "unhold"]],
    };
  }
  if (tab === "approved") {
    return {
      primary: [["retract", "desk_retract", "retract", "stop"], ["spotlight", "desk_spotlight", "spotlight", "spot"]],
      secondary: [post.pinned ? ["unpin", "desk_unpin", "pin"] : ["pin", "desk_pin", "pin"]],
    };
  }
  return { primary: [], secondary: [] };
}

/** The reason in the desk's language (from its code and values), else the server's sentence. */
export function flagDetail(flag) {
  const key = `desk_why_${flag.code}`;
  if (flag.code && key in t) return say(key, flag.values || {});
  return flag.detail || "";
}

function flagName(flag) {
  return FLAG_RULES.has(flag.rule) ? say(`desk_flag_${flag.rule}`) : `${say("desk_flag_other")} ${flag.rule}`;
}

// The card shows the content warning itself; the rule's words would only repeat it.
const SELF_EXPLAINED = new Set(["sensitive"]);

function header(post, now) {
  const head = el("header", "card-head");
  const avatar = el("div", "avatar");
  if (post.author.avatar_url) {
    const img = el("img");
    img.src = post.author.avatar_url;
    img.alt = "";
    img.loading = "lazy";
    img.draggable = false;
    avatar.append(img);
  } else {
    avatar.textContent = (post.author.name || post.author.handle || "?").trim().charAt(0).toUpperCase();
    avatar.classList.add("initial");
  }
  const who = el("div", "who");
  who.append(el("strong", "name", post.author.name || post.author.handle));
  who.append(el("span", "handle", post.author.handle));
  const meta = el("div", "meta");
  meta.append(el("span", "source", post.source_name || post.source));
  const when = el("time", "age", age(post.created_at || post.ingested_at, now));
  when.dateTime = post.created_at || post.ingested_at || "";
  meta.append(when);
  head.append(avatar, who, meta);
  return head;
}

function thumbs(post) {
  const strip = el("div", "thumbs");
  for (const media of post.media) {
    const hidden = post.sensitive;
    const frame = el(hidden ? "button" : "div", hidden ? "thumb veiled" : "thumb");
    if (hidden) {
      frame.type = "button";
      frame.dataset.action = "reveal";
      frame.append(el("span", "veil", say("desk_sensitive")));
    }
    const img = el("img");
    img.src = media.preview_url || media.url;
    img.alt = media.alt || "";
    img.loading = "lazy";
    img.draggable = false;
    frame.prepend(img);
    if (media.kind === "video") frame.append(el("span", "kind", say("desk_video")));
    strip.append(frame);
  }
  return strip;
}

/** The card (an <li>) for `post` on `tab`; `selecting` shows a checkbox for bulk actions. */
export function renderCard(post, { tab, selecting = false, selected = false, now = Date.now() }) {
  const item = el("li", "card");
  item.dataset.postId = String(post.id);
  item.tabIndex = -1;
  item.setAttribute("aria-label", `${post.author.name || post.author.handle}: ${post.text.slice(0, 80)}`);
  if (post.edited) item.classList.add("edited");
  if ((post.flags || []).some((f) => f.rule !== "trusted_author")) item.classList.add("flagged");

  // Revealed behind the card while it is swiped.
  const approveHint = el("div", "swipe-hint approve-hint");
  approveHint.append(icon("approve"), el("span", null, say("desk_swipe_approve")));
  const rejectHint = el("div", "swipe-hint reject-hint");
  rejectHint.append(el("span", null, say("desk_swipe_reject")), icon("reject"));
  item.append(approveHint, rejectHint);

  const body = el("article", "card-body");
  body.dataset.newLabel = say("desk_new_posts");
  const main = el("div", "card-main");

  if (selecting && (tab === "queue" || tab === "held")) {
    const pick = el("div", "pick"); // not a <label>: its click would toggle the box a second time
    const box = el("input");
    box.type = "checkbox";
    box.checked = selected;
    box.dataset.action = "select";
    box.setAttribute("aria-label", post.author.name || String(post.id));
    pick.append(box);
    body.append(pick);
    if (selected) item.classList.add("selected");
  }

  const flags = post.flags || [];
  if (flags.length || post.edited || post.pinned) {
    const chips = el("ul", "chips");
    for (const flag of flags) {
      const chip = el("li", flag.rule === "trusted_author" ? "chip trusted" : "chip flag");
      chip.dataset.rule = flag.rule;
      const words = el("span", "flag-words");
      words.append(el("strong", null, flagName(flag)));
      const detail = flagDetail(flag);
      if (detail && !SELF_EXPLAINED.has(flag.rule)) words.append(el("span", "flag-detail", detail));
      chip.append(icon("flag"), words);
      chips.append(chip);
    }
    if (post.edited) chips.append(el("li", "chip edited-chip", say("desk_edited_chip")));
    if (post.pinned) chips.append(el("li", "chip pinned-chip", say("desk_pinned_chip")));
    main.append(chips);
  }

  main.append(header(post, now));
  if (post.edited) main.append(el("p", "edited-note", say("edited")));
  if (post.content_warning) {
    main.append(el("p", "cw", `${say("content_warning")}: ${post.content_warning}`));
  }
  const text = el("p", "text", post.text);
  text.dir = "auto";
  if (post.lang) text.lang = post.lang;
  main.append(text);
  if (post.media && post.media.length) main.append(thumbs(post));
  if (post.decided_by && (tab === "approved" || tab === "rejected")) {
    const status = say(`desk_status_${post.status}`);
    main.append(el("p", "decided", `${say("desk_decided_by", { status, by: post.decided_by })} · ${age(post.decided_at, now)}`));
  }
  body.append(main);

  const { primary, secondary } = actionsFor(tab, post);
  if (primary.length || secondary.length) {
    const side = el("div", "card-actions");
    if (primary.length) {
      const row = el("div", "primary");
      for (const [action, label, iconName, kind] of primary) {
        row.append(button({ action, label: say(label), iconName, className: `big ${kind} ${action}` }));
      }
      side.append(row);
    }
    if (secondary.length) {
      const row = el("div", "secondary");
      for (const [action, label, iconName] of secondary) {
        row.append(button({ action, label: say(label), iconName, className: `small ${action}` }));
      }
      side.append(row);
    }
    body.append(side);
  }
  item.append(body);
  return item;
}

/** Refresh the "vor 2 Min." labels of cards already shown. */
export function refreshAges(root, postsById, now = Date.now()) {
  for (const node of root.querySelectorAll("time.age")) {
    const card = node.closest("[data-post-id]");
    const post = card && postsById.get(Number(card.dataset.postId));
    if (post) node.textContent = age(post.created_at || post.ingested_at, now);
  }
}
