// Wall UI strings and locale-aware formatting; the page language is "de" or "en".

const STRINGS = {
  de: {
    live: "Live",
    connecting: "Verbinde…",
    reconnecting: "Verbindung wird wiederhergestellt…",
    notFound: "Wall nicht gefunden",
    notFoundHint: "Diese Wall ist noch nicht eingerichtet. Neuer Versuch in Kürze.",
    pinned: "Angeheftet",
    contentWarning: "Inhaltswarnung",
    sensitive: "Sensibler Inhalt",
    idleLead: "Gleich geht's los",
    idlePostWith: "posten Sie mit",
    moreMedia: (n) => `+${n}`,
  },
  en: {
    live: "Live",
    connecting: "Connecting…",
    reconnecting: "Reconnecting…",
    notFound: "Wall not found",
    notFoundHint: "This wall is not set up yet. Retrying shortly.",
    pinned: "Pinned",
    contentWarning: "Content warning",
    sensitive: "Sensitive content",
    idleLead: "Starting soon",
    idlePostWith: "post with",
    moreMedia: (n) => `+${n}`,
  },
};

const SOURCE_LABELS = { mastodon: "Mastodon", bluesky: "Bluesky", rss: "RSS", demo: "Demo" };

/** Return the string table and formatters for one page language. */
export function createI18n(lang) {
  const code = lang in STRINGS ? lang : "en";
  const t = STRINGS[code];
  const relative = new Intl.RelativeTimeFormat(code, { numeric: "auto", style: "short" });
  const clock = new Intl.DateTimeFormat(code, { hour: "2-digit", minute: "2-digit" });
  const dayClock = new Intl.DateTimeFormat(code, {
    day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
  });
  const orList = new Intl.ListFormat(code, { type: "disjunction" });

  return {
    lang: code,
    t,

    /** "vor 3 Min." for recent posts, a clock time after 12 hours, a date after a day. */
    time(iso, nowMs) {
      const at = Date.parse(iso);
      if (Number.isNaN(at)) return "";
      // A post stamped slightly in the future (clock skew) is shown as "now".
      const seconds = Math.max(0, Math.round((nowMs - at) / 1000));
      if (seconds < 45) return relative.format(0, "second");
      if (seconds < 3600) return relative.format(-Math.round(seconds / 60), "minute");
      if (seconds < 12 * 3600) return relative.format(-Math.round(seconds / 3600), "hour");
      if (seconds < 24 * 3600) return clock.format(at);
      return dayClock.format(at);
    },

    /**
     * "Gleich geht's los – posten Sie mit #A oder #B", as parts so the hashtags can be styled:
     * [{tag: false, value: "Gleich geht's los – posten Sie mit "}, {tag: true, value: "#A"}, …].
     */
    idleMessage(hashtags) {
      if (!hashtags.length) return [{ tag: false, value: t.idleLead }];
      const parts = [{ tag: false, value: `${t.idleLead} – ${t.idlePostWith} ` }];
      for (const part of orList.formatToParts(hashtags.map((h) => `#${h}`))) {
        parts.push({ tag: part.type === "element", value: part.value });
      }
      return parts;
    },

    sourceLabel(source) {
      const key = String(source || "").toLowerCase();
      if (key in SOURCE_LABELS) return SOURCE_LABELS[key];
      return key ? key.charAt(0).toUpperCase() + key.slice(1) : "";
    },
  };
}
