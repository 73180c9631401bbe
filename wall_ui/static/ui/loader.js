// Loading the current tab from GET /api/posts, page by page. Frames that arrive while a load is
// on its way are kept and applied after it, so nothing that happened in between is lost.

const PAGE_SIZE = 100;

export class Loader {
  /**
   * query(): the parameters of the current tab and filters; onPage(page, first): a page came;
   * onFailed(): the first page could not be loaded (it is tried again); onSettled(): done.
   */
  constructor({ api, list, query, applyFrame, onPage, onFailed, onSettled }) {
    Object.assign(this, { api, list, query, applyFrame, onPage, onFailed, onSettled });
    this.generation = 0;
    this.buffered = null;
    this.nextCursor = null;
    this.loadingMore = false;
    this.retryTimer = null;
    this.retries = 0;
  }

  get loading() {
    return this.buffered !== null;
  }

  /** While a load is on its way, keep the frame for later (true); else false. */
  hold(frame) {
    if (!this.buffered) return false;
    this.buffered.push(frame);
    return true;
  }

  reset() {
    this.generation += 1;
    this.buffered = null;
    this.nextCursor = null;
    clearTimeout(this.retryTimer);
  }

  async load() {
    const mine = ++this.generation;
    clearTimeout(this.retryTimer);
    this.buffered = [];
    try {
      const page = await this.api.get("/api/posts", { ...this.query(), limit: String(PAGE_SIZE) });
      if (mine !== this.generation) return;
      this.list.replaceAll(page.items);
      this.nextCursor = page.next_cursor ?? null;
      this.retries = 0;
      this.onPage(page, true);
    } catch (err) {
      if (mine !== this.generation || (err && err.status === 401)) return;
      this.onFailed();
      this.retries += 1;
      const wait = Math.random() * Math.min(30_000, 1000 * 2 ** this.retries) + 500;
      this.retryTimer = setTimeout(() => this.load(), wait);
    } finally {
      if (mine === this.generation) {
        const frames = this.buffered || [];
        this.buffered = null;
        for (const frame of frames) this.applyFrame(frame);
        this.onSettled();
      }
    }
  }

  async loadMore() {
    if (this.nextCursor === null || this.loadingMore || this.buffered) return;
    this.loadingMore = true;
    const mine = this.generation;
    try {
      const page = await this.api.get("/api/posts", {
        ...this.query(), limit: String(PAGE_SIZE), cursor: String(this.nextCursor),
      });
      if (mine !== this.generation) return;
      for (const post of page.items) this.list.upsert(post);
      this.nextCursor = page.next_cursor ?? null;
      this.onPage(page, false);
    } catch {
      // reaching the end of the list again tries again
    } finally {
      this.loadingMore = false;
      this.onSettled();
    }
  }
}
