// The desk's texts come from the server (app/i18n.py) as a JSON data block in the page.

import { readJson } from "./dom.js";

export const t = readJson("desk-texts", {});
export const lang = document.documentElement.lang === "en" ? "en" : "de";

/** The text for `key` with "{name}" fields filled in; the key itself if it is missing. */
export function say(key, values = {}) {
  const template = t[key];
  if (typeof template !== "string") return key;
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

const relative = new Intl.RelativeTimeFormat(lang, { numeric: "auto", style: "short" });
const clock = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit" });
const dayClock = new Intl.DateTimeFormat(lang, {
  day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
});

/** "vor 2 Min." / "2 min. ago"; a clock time after 12 hours, a date after a day. */
export function age(iso, now = Date.now()) {
  const at = Date.parse(iso || "");
  if (Number.isNaN(at)) return "";
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 45) return relative.format(0, "second");
  if (seconds < 3600) return relative.format(-Math.max(1, Math.round(seconds / 60)), "minute");
  if (seconds < 12 * 3600) return relative.format(-Math.round(seconds / 3600), "hour");
  if (seconds < 24 * 3600) return clock.format(at);
  return dayClock.format(at);
}

const ACTION_LABELS = {
  approve: "approve", "approve-pin": "desk_approve_pin", reject: "reject", hold: "desk_hold",
  unhold: "desk_unhold", retract: "desk_retract", pin: "desk_pin", unpin: "desk_unpin",
  spotlight: "desk_spotlight",
};

/** The button label of an action, e.g. for "“Freigeben” was not saved". */
export function actionLabel(action) {
  return say(ACTION_LABELS[action] || action);
}

// Actions that decide a post: their 409 means someone else decided it first.
const DECISIONS = new Set(["approve", "approve-pin", "reject", "hold", "unhold", "retract"]);

// Conflict codes (app/post_changes.py) worded by the desk; "decided" names the decision.
const WORDED = new Set(["paused", "pinned", "not_pinned", "held", "not_held", "undo_none", "undo_edit", "undo_expired"]);

/** "Schon freigegeben von anna" from a 409 answer ({code, detail, status, by}) to `action`. */
export function conflictMessage(body, action = "approve") {
  const { by, status, code } = body || {};
  if (status === "deleted") return say("desk_conflict_deleted");
  if (WORDED.has(code)) return say(`desk_conflict_${code}`, { by: by || "?" });
  if (by && (DECISIONS.has(action) || code === "decided") && ["approved", "rejected", "retracted"].includes(status)) {
    return say(`desk_conflict_${status}`, { by });
  }
  if (status && `desk_status_${status}` in t) return say("desk_conflict_state", { status: say(`desk_status_${status}`) });
  return say("desk_conflict_other", { detail: (body && body.detail) || "409" });
}
