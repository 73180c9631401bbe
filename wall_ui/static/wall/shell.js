// Everything around the posts: header band, idle screen and the connection indicator.

const LONG_OFFLINE_MS = 60_000; // after this the amber indicator turns red

export class Shell {
  constructor(doc, i18n) {
    this.doc = doc;
    this.body = doc.body;
    this.i18n = i18n;
    this.hashtags = [];
    this.notFound = false;
    this.severityTimer = null;
    this.el = {
      title: doc.getElementById("wall-title"),
      event: doc.getElementById("wall-event"),
      tags: doc.getElementById("wall-tags"),
      idleTitle: doc.getElementById("wall-idle-title"),
      idleEvent: doc.getElementById("wall-idle-event"),
      idleTags: doc.getElementById("wall-idle-tags"),
      idleMessage: doc.getElementById("wall-idle-message"),
      status: doc.getElementById("wall-status"),
      statusLabel: doc.getElementById("wall-status-label"),
    };
  }

  /** Title, event name and hashtags, from the page or a later `wall` frame. */
  setWall({ title, eventName, hashtags }) {
    if (typeof title === "string") {
      this.el.title.textContent = title;
      this.el.idleTitle.textContent = title;
      this.doc.title = title;
    }
    if (typeof eventName === "string") {
      // The event name is a quiet line above the title, unless it would only repeat it.
      const shown = eventName.trim() && eventName.trim() !== (title || "").trim() ? eventName : "";
      this.el.event.textContent = shown;
      this.el.idleEvent.textContent = shown;
    }
    if (Array.isArray(hashtags)) {
      this.hashtags = hashtags.map((h) => String(h).replace(/^#/, "")).filter(Boolean);
      fillTags(this.el.tags, this.hashtags, "wall-tag");
      fillTags(this.el.idleTags, this.hashtags, "wall-idle__tag");
      this.updateIdleMessage();
    }
  }

  setEmpty(empty) {
    this.body.dataset.empty = empty ? "true" : "false";
  }

  /** state: "connecting" | "live" | "offline"; notFound after close code 4404. */
  setStatus({ state, notFound, offlineSince }) {
    const { t } = this.i18n;
    this.body.dataset.state = state;
    this.notFound = notFound;
    let shown = state;
    let label = state === "live" ? t.live : state === "offline" ? t.reconnecting : t.connecting;
    if (notFound) {
      shown = "not-found";
      label = t.notFound;
    }
    this.el.status.dataset.state = shown;
    this.el.statusLabel.textContent = label;
    this.updateIdleMessage();

    clearTimeout(this.severityTimer);
    const severe = shown === "offline" && offlineSince && Date.now() - offlineSince >= LONG_OFFLINE_MS;
    this.el.status.dataset.severe = severe ? "true" : "false";
    if (shown === "offline" && !severe && offlineSince) {
      const wait = LONG_OFFLINE_MS - (Date.now() - offlineSince);
      this.severityTimer = setTimeout(() => {
        this.el.status.dataset.severe = "true";
      }, wait);
    }
  }

  updateIdleMessage() {
    const { t } = this.i18n;
    const message = this.el.idleMessage;
    if (this.notFound) {
      message.replaceChildren(
        el("strong", "wall-idle__error", t.notFound),
        el("span", "wall-idle__hint", t.notFoundHint),
      );
    } else {
      message.replaceChildren(
        ...this.i18n.idleMessage(this.hashtags).map((part) =>
          part.tag ? el("span", "wall-idle__hashtag", part.value) : part.value,
        ),
      );
    }
  }
}

function fillTags(list, hashtags, className) {
  list.replaceChildren(...hashtags.map((tag) => el("li", className, `#${tag}`)));
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  node.className = className;
  node.textContent = text;
  return node;
}
