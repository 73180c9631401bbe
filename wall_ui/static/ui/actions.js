// What happens when the moderator decides: the card leaves at once (optimistic), the request
// goes out, and the answer settles it: a toast with Undo, a clear word when someone else was
// quicker (409), or the card back in its place when the request may not have arrived.

import { ApiError, NetworkError, failureMessage } from "./api.js";
import { actionLabel, conflictMessage, say } from "./texts.js";

// The server undoes an action for 10 s after it happened; offer it a little less than that.
const UNDO_WINDOW_MS = 9_500;

// Desk action -> request, toast, whether the card leaves its tab, where it slides, and the
// status a 409 "already ... by me" would mean it had in fact happened.
export const ACTIONS = {
  approve: { path: "approve", done: "desk_done_approve", leaves: true, exit: "right", outcome: "approved", undo: true },
  "approve-pin": { path: "approve", params: { pin: "true" }, done: "desk_done_approve_pin", leaves: true, exit: "right", outcome: "approved", undo: true },
  reject: { path: "reject", done: "desk_done_reject", leaves: true, exit: "left", outcome: "rejected", undo: true },
  hold: { path: "hold", done: "desk_done_hold", leaves: true, exit: "left", undo: true },
  unhold: { path: "unhold", done: "desk_done_unhold", leaves: true, exit: "left", undo: true },
  retract: { path: "retract", done: "desk_done_retract", leaves: true, exit: "left", outcome: "retracted", undo: true },
  pin: { path: "pin", done: "desk_done_pin", leaves: false, undo: true },
  unpin: { path: "unpin", done: "desk_done_unpin", leaves: false, undo: true },
  spotlight: { path: "spotlight", params: { seconds: "20" }, done: "desk_done_spotlight", leaves: false, undo: false },
};

function who(post) {
  return (post.author && (post.author.name || post.author.handle)) || `#${post.id}`;
}

export class Moderation {
  /**
   * list: the PostList; toasts: Toasts; me: this moderator's name;
   * counts: {adjust(action, tab, sign)} for the waiting counter; afterwards(): a change settled.
   */
  constructor({ api, list, toasts, me, counts, afterwards }) {
    Object.assign(this, { api, list, toasts, me, counts, afterwards });
    this.history = []; // [{ids, action, until}] newest last, for "u" / Ctrl+Z
  }

  async act(id, action) {
    const spec = ACTIONS[action];
    const post = this.list.get(id);
    if (!spec || !post) return;
    const tab = this.list.tab;
    if (spec.leaves) {
      this.list.take(id, spec.exit);
      this.counts.adjust(action, tab, +1);
    } else {
      this.setBusy(id, true);
    }
    // Undo is possible from the moment of the tap: "u" right after "r" undoes that rejection,
    // even while its answer is still on the way.
    const entry = this.remember(spec, action, [post]);
    try {
      const answer = await this.api.post(`/api/posts/${id}/${spec.path}`, undefined, spec.params);
      this.list.settle(id);
      if (answer && answer.id === id) this.list.upsert(answer);
      this.done(spec, action, [post], entry);
    } catch (err) {
      this.withdraw(entry);
      this.failed(err, { spec, action, post, tab });
    } finally {
      if (entry) entry.settle();
      if (!spec.leaves) this.setBusy(id, false);
      this.afterwards();
    }
  }

  /** An Undo entry for an action just taken (null if it cannot be undone), settled later. */
  remember(spec, action, posts) {
    // A decision on an edit cannot be undone (the walls' earlier form is gone).
    if (!spec.undo || posts.some((p) => p.edited && p.status === "approved")) return null;
    const ids = posts.map((p) => p.id);
    this.forget(ids);
    const entry = {
      ids, action, until: Date.now() + UNDO_WINDOW_MS, toast: null, failed: false,
      names: new Map(posts.map((p) => [p.id, who(p)])),
    };
    entry.settled = new Promise((resolve) => {
      entry.settle = resolve;
    });
    this.history = [...this.history.filter((e) => e.until > Date.now()), entry].slice(-20);
    return entry;
  }

  /** An Undo entry for an action known to have happened already. */
  rememberDone(spec, action, posts) {
    const entry = this.remember(spec, action, posts);
    if (entry) entry.settle();
    return entry;
  }

  /** The action did not happen: nothing to undo. */
  withdraw(entry) {
    if (!entry) return;
    entry.failed = true;
    this.history = this.history.filter((e) => e !== entry);
  }

  /** Older Undo offers for these posts would now undo this newer action: withdraw them. */
  forget(ids) {
    const gone = new Set(ids);
    for (const entry of this.history) {
      entry.ids = entry.ids.filter((id) => !gone.has(id));
      if (!entry.ids.length && entry.toast) entry.toast.close();
    }
    this.history = this.history.filter((e) => e.ids.length);
  }

  done(spec, action, posts, entry) {
    const toast = this.toasts.show({
      message: posts.length === 1 ? `${say(spec.done)} · ${who(posts[0])}` : say(spec.done),
      kind: "done",
      undo: entry ? () => this.undo(entry) : null,
      until: entry ? entry.until : null,
    });
    if (entry) entry.toast = toast;
  }

  failed(err, { spec, action, post, tab }) {
    if (err instanceof ApiError && err.status === 409) {
      this.list.settle(post.id);
      const body = err.body;
      if (spec.outcome && body.status === spec.outcome && body.by === this.me) {
        // Our own earlier attempt got through after all (its answer was lost on the way).
        this.done(spec, action, [post], this.rememberDone(spec, action, [post]));
        return;
      }
      if (spec.leaves) {
        // Someone else decided: the card stays away unless the post is still waiting here.
        if (body.status && this.list.accepts({ ...post, status: body.status })) {
          this.list.restore(post);
          this.counts.adjust(action, tab, -1);
        }
      }
      const message = action === "spotlight" && document.body.dataset.paused === "true"
        ? say("desk_spotlight_paused") : `${conflictMessage(body, action)} · ${who(post)}`;
      this.toasts.show({ message, kind: "warn", ms: 8000 });
      return;
    }
    if (err instanceof ApiError && err.status === 404) {
      this.list.settle(post.id);
      this.toasts.show({ message: say("desk_not_found"), kind: "warn", ms: 6000 });
      return;
    }
    if (err instanceof ApiError && err.status === 401) return; // on the way to the login page
    // No answer, or the server could not do it: the card goes back where it was.
    if (spec.leaves) {
      // What the live feed told us about the post while we waited, if anything.
      const heard = this.list.stash.get(post.id);
      const shown = this.list.restore(post);
      if (shown) this.counts.adjust(action, tab, -1);
      if (heard && !shown) {
        if ((!spec.outcome || heard.status === spec.outcome) && (!heard.decided_by || heard.decided_by === this.me)) {
          // It did happen; only the answer got lost.
          this.done(spec, action, [post], this.rememberDone(spec, action, [post]));
        } else {
          const body = { status: heard.status, by: heard.decided_by, detail: "" };
          this.toasts.show({ message: `${conflictMessage(body, action)} · ${who(post)}`, kind: "warn", ms: 8000 });
        }
        return;
      }
    } else {
      this.list.settle(post.id);
    }
    const message = failureMessage(err, {
      offline: `${who(post)}: ${say("desk_network_failed", { action: actionLabel(action) })}`,
      forbidden: say("desk_forbidden"),
    });
    this.toasts.show({ message, kind: "error", ms: 10_000 });
  }

  /** Undo the newest action still in its window ("u", Ctrl+Z). */
  undoLast() {
    const now = Date.now();
    this.history = this.history.filter((e) => e.until > now);
    const entry = this.history.pop();
    if (entry) this.undo(entry);
  }

  async undo(entry) {
    this.history = this.history.filter((e) => e !== entry);
    if (entry.toast) entry.toast.close(); // its Undo button has done its job
    await entry.settled;
    if (entry.failed) return; // it never happened (the failure was reported)
    const undone = [];
    const unreachable = [];
    const refused = [];
    await Promise.all(entry.ids.map(async (id) => {
      try {
        const post = await this.api.post(`/api/posts/${id}/undo`);
        undone.push(id);
        if (post && post.id === id) this.list.upsert(post);
      } catch (err) {
        if (err instanceof NetworkError) unreachable.push(id);
        else if (err instanceof ApiError && err.status === 409) refused.push(conflictMessage(err.body, "undo"));
        else if (!(err instanceof ApiError && err.status === 401)) refused.push(err.message);
      }
    }));
    this.afterwards();
    if (undone.length) {
      const name = undone.length === 1 && entry.names ? entry.names.get(undone[0]) : null;
      this.toasts.show({ message: name ? `${say("desk_undone")} · ${name}` : say("desk_undone"), kind: "info", ms: 3500 });
    }
    if (refused.length) {
      this.toasts.show({ message: say("desk_undo_too_late", { detail: refused[0] }), kind: "error", ms: 8000, details: refused.slice(1) });
    }
    if (unreachable.length) {
      // Offer it again while the window lasts: the request may not have arrived.
      const retry = { ...entry, ids: unreachable, toast: null, settled: Promise.resolve() };
      const open = retry.until > Date.now();
      if (open) this.history.push(retry);
      retry.toast = this.toasts.show({
        message: say("desk_undo_network_failed"), kind: "error", ms: 8000,
        undo: open ? () => this.undo(retry) : null, until: open ? retry.until : null,
      });
    }
  }

  /** Approve or reject several posts at once; each succeeds or fails on its own. */
  async bulk(ids, action) {
    const spec = ACTIONS[action];
    const tab = this.list.tab;
    const posts = new Map();
    for (const id of ids) {
      const post = this.list.take(id, spec.exit);
      if (post) {
        posts.set(id, post);
        this.counts.adjust(action, tab, +1);
      }
    }
    if (!posts.size) return;
    let answer;
    try {
      answer = await this.api.post("/api/posts/bulk", { ids: [...posts.keys()], action });
    } catch (err) {
      for (const post of posts.values()) {
        this.list.restore(post);
        this.counts.adjust(action, tab, -1);
      }
      const message = failureMessage(err, { offline: say("desk_bulk_network_failed") });
      this.toasts.show({ message, kind: "error", ms: 10_000 });
      this.afterwards();
      return;
    }
    const ok = [];
    const failures = [];
    const results = new Map(((answer && answer.results) || []).map((r) => [r.id, r]));
    for (const [id, post] of posts) {
      const result = results.get(id);
      // What the live feed said about it meanwhile names who decided instead.
      const latest = this.list.stash.get(id);
      this.list.settle(id);
      if (result && result.ok) {
        ok.push(post);
        continue;
      }
      const conflict = result && result.status === 409;
      if (!conflict) {
        // Not tried, or failed for another reason: it is still waiting.
        this.list.restore(post);
        this.counts.adjust(action, tab, -1);
      }
      const reason = conflict
        ? conflictMessage({
          code: result.code,
          status: result.post_status ?? (latest && latest.status),
          by: result.by ?? (latest && latest.decided_by),
          detail: result.detail,
        }, action)
        : (result && result.detail) || say("desk_network_failed", { action: actionLabel(action) });
      failures.push(`${who(post)}: ${reason}`);
    }
    const entry = ok.length ? this.rememberDone(spec, action, ok) : null;
    if (entry) entry.names = new Map(); // several posts: the Undo toast names none
    const summary = say(`desk_bulk_done_${action}`, { ok: ok.length, n: posts.size });
    const toast = this.toasts.show({
      message: failures.length ? `${summary} – ${say("desk_bulk_failed", { n: failures.length })}:` : summary,
      kind: failures.length ? "warn" : "done",
      details: failures,
      undo: entry ? () => this.undo(entry) : null,
      until: entry ? entry.until : null,
      ms: failures.length ? 12_000 : 5000,
    });
    if (entry) entry.toast = toast;
    this.afterwards();
  }

  setBusy(id, busy) {
    const node = this.list.node(id);
    if (!node) return;
    node.classList.toggle("busy", busy);
    for (const b of node.querySelectorAll(".card-actions button")) b.disabled = busy;
  }
}
