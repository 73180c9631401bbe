// Source health: state, last error in words, next attempt. Refreshed every 10 s.

import { el } from "./dom.js";
import { lang, say, t } from "./texts.js";

const REFRESH_MS = 10_000;

export class SourceHealth {
  constructor(root, { api, onSources = () => {} }) {
    Object.assign(this, { root, api, onSources });
    this.event = null;
    setInterval(() => this.load(), REFRESH_MS);
  }

  show(eventSlug) {
    this.event = eventSlug;
    this.root.replaceChildren();
    this.load();
  }

  async load() {
    if (!this.event) return;
    let sources;
    try {
      sources = (await this.api.get("/api/sources")).filter((s) => s.event === this.event);
    } catch {
      return; // the queue matters more than this strip: try again on the next round
    }
    this.onSources(sources);
    this.root.replaceChildren(...sources.map((source) => {
      const item = el("li", `source-health ${source.state}`);
      item.dataset.sourceId = String(source.id);
      item.append(el("span", "dot"), el("strong", null, `${source.name} (${source.type})`));
      // The state in the desk's language; a failing source's error as the source reported it.
      const key = `desk_source_${source.state}`;
      const words = [key in t ? say(key) : source.state];
      if (Number.isInteger(source.posts_ingested)) words.push(say("desk_source_posts", { n: source.posts_ingested }));
      item.append(el("span", "detail", words.join(" · ")));
      if (source.state === "backoff" && source.last_error) item.append(el("span", "detail error", source.last_error));
      item.title = source.detail || "";
      if (source.next_attempt) {
        const when = new Date(source.next_attempt).toLocaleTimeString(lang);
        item.append(el("span", "detail", `${say("next_attempt")} ${when}`));
      }
      return item;
    }));
  }
}
