// Keeps the last applied sequence number and the posts it describes in sessionStorage, so a
// reloaded page shows its posts at once and resumes with last_seq instead of a full snapshot.
//
// Both are saved as one record: a last_seq without the posts it belongs to would make the server
// replay only later changes onto an empty screen.

const VERSION = 1;
const SAVE_DELAY_MS = 250; // a replay of hundreds of changes is saved once, not per frame

export class SessionMemory {
  constructor(key, storage = safeSessionStorage()) {
    this.key = `socialwall:${key}`;
    this.storage = storage;
    this.timer = null;
    this.pending = null;
    this.flushNow = () => this.flush();
  }

  /** Returns {seq, posts} from an earlier page load, or null. */
  restore() {
    if (!this.storage) return null;
    try {
      const record = JSON.parse(this.storage.getItem(this.key) || "null");
      if (
        record && record.v === VERSION && Number.isInteger(record.seq) && Array.isArray(record.posts)
      ) {
        return { seq: record.seq, posts: record.posts };
      }
    } catch {
      // A corrupt record is as good as none.
    }
    return null;
  }

  /** Remember the state as of seq; written shortly after, and when the page goes away. */
  save(seq, posts) {
    if (!this.storage || !Number.isInteger(seq)) return;
    this.pending = { v: VERSION, seq, posts };
    if (this.timer === null) {
      this.timer = setTimeout(this.flushNow, SAVE_DELAY_MS);
      window.addEventListener("pagehide", this.flushNow, { once: true });
    }
  }

  flush() {
    clearTimeout(this.timer);
    this.timer = null;
    window.removeEventListener("pagehide", this.flushNow);
    if (!this.pending) return;
    try {
      this.storage.setItem(this.key, JSON.stringify(this.pending));
    } catch {
      // Storage full or disabled: the wall still works, a reload just starts from a snapshot.
    }
    this.pending = null;
  }
}

function safeSessionStorage() {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage blocked by browser settings
  }
}
