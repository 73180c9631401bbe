// The first moderator page: the pending queue of one event, live, one tap to approve or reject.
// Post content reaches the DOM through textContent only.

const body = document.body;
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const queue = document.getElementById("queue");
const eventSelect = document.getElementById("event");
const statusLine = document.getElementById("status");
const emptyNote = document.getElementById("empty");
const countEl = document.getElementById("pending-count");

let socket = null;
let attempt = 0;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function updateCount() {
  const n = queue.children.length;
  countEl.textContent = String(n);
  emptyNote.hidden = n > 0;
}

function say(message) {
  statusLine.textContent = message;
}

function card(post) {
  const item = el("li", "card");
  item.dataset.postId = String(post.id);
  const head = el("div", "card-head");
  if (post.author.avatar_url) {
    const avatar = el("img", "avatar");
    avatar.src = post.author.avatar_url;
    avatar.alt = "";
    head.append(avatar);
  }
  const who = el("div", "who");
  who.append(el("strong", null, post.author.name), el("span", "handle", post.author.handle));
  head.append(who, el("span", "source", post.source_name));
  item.append(head);
  if (post.edited) {
    item.classList.add("edited");
    item.append(el("p", "edited-note", body.dataset.edited));
  }
  if (post.content_warning) {
    item.append(el("p", "cw", `${body.dataset.cw}: ${post.content_warning}`));
  }
  const text = el("p", "text", post.text);
  text.dir = "auto";
  item.append(text);
  if (post.media.length) {
    const strip = el("div", "thumbs");
    for (const media of post.media) {
      const img = el("img", post.sensitive ? "thumb blurred" : "thumb");
      img.src = media.preview_url || media.url;
      img.alt = media.alt || "";
      img.addEventListener("click", () => img.classList.remove("blurred"));
      strip.append(img);
    }
    item.append(strip);
  }
  const actions = el("div", "actions");
  const approve = el("button", "approve", body.dataset.approve);
  const reject = el("button", "reject", body.dataset.reject);
  approve.addEventListener("click", () => act(post.id, "approve", item));
  reject.addEventListener("click", () => act(post.id, "reject", item));
  actions.append(reject, approve);
  item.append(actions);
  return item;
}

function waiting(post) {
  return post.status === "pending" || (post.status === "approved" && post.edited);
}

function addPost(post) {
  const existing = queue.querySelector(`[data-post-id="${post.id}"]`);
  if (!waiting(post)) {
    if (existing) removePost(post.id);
    return;
  }
  if (existing) existing.replaceWith(card(post)); // an edit arrived: show the new text
  else queue.append(card(post));
  updateCount();
}

function removePost(id) {
  const item = queue.querySelector(`[data-post-id="${id}"]`);
  if (item) item.remove();
  updateCount();
}

async function act(id, action, item) {
  for (const button of item.querySelectorAll("button")) button.disabled = true;
  try {
    const response = await fetch(`/api/posts/${id}/${action}`, {
      method: "POST",
      headers: { "X-CSRF-Token": csrf },
      credentials: "same-origin",
    });
    if (response.ok || response.status === 404 || response.status === 409) {
      if (!response.ok) say((await response.json()).detail);
      removePost(id);
      return;
    }
    if (response.status === 401) {
      window.location.assign("/login?next=/moderate");
      return;
    }
    say(`${response.status}: ${(await response.json()).detail}`);
  } catch (error) {
    say(String(error));
  }
  for (const button of item.querySelectorAll("button")) button.disabled = false;
}

async function loadQueue() {
  const slug = eventSelect.value;
  let cursor = null;
  const posts = [];
  do {
    const params = new URLSearchParams({ status: "pending", event: slug, limit: "200" });
    if (cursor !== null) params.set("cursor", String(cursor));
    const response = await fetch(`/api/posts?${params}`, { credentials: "same-origin" });
    if (response.status === 401) {
      window.location.assign("/login?next=/moderate");
      return;
    }
    const page = await response.json();
    posts.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor !== null);
  queue.replaceChildren();
  for (const post of posts) addPost(post);
  updateCount();
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/ws/moderate/${encodeURIComponent(eventSelect.value)}`);
  socket.addEventListener("message", (message) => {
    const frame = JSON.parse(message.data);
    if (frame.type === "ready") {
      attempt = 0;
      say("");
      loadQueue(); // after subscribing, so nothing that arrives in between is missed
    } else if (frame.type === "post.new") {
      addPost(frame.post);
    } else if (frame.type === "post.updated") {
      addPost(frame.post);
    }
  });
  socket.addEventListener("close", (closeEvent) => {
    if (closeEvent.code === 4401) {
      window.location.assign("/login?next=/moderate");
      return;
    }
    socket = null;
    attempt += 1;
    const wait = Math.random() * Math.min(30000, 500 * 2 ** attempt);
    say("…");
    setTimeout(connect, wait);
  });
}

// Source health: state, last error in words, next attempt. Refreshed every 10 s.
const sourcesList = document.getElementById("sources");

async function loadSources() {
  try {
    const response = await fetch("/api/sources", { credentials: "same-origin" });
    if (!response.ok) return;
    const sources = (await response.json()).filter((s) => s.event === eventSelect.value);
    sourcesList.replaceChildren(...sources.map((source) => {
      const item = el("li", `source-health ${source.state}`);
      item.dataset.sourceId = String(source.id);
      item.append(el("span", "dot"), el("strong", null, `${source.name} (${source.type})`));
      const words = source.last_error || source.detail || source.state;
      item.append(el("span", "detail", words));
      if (source.next_attempt) {
        const when = new Date(source.next_attempt).toLocaleTimeString(body.dataset.lang);
        item.append(el("span", "detail", `${body.dataset.nextAttempt} ${when}`));
      }
      return item;
    }));
  } catch (error) {
    // The queue matters more than this strip: try again on the next round.
  }
}

loadSources();
setInterval(loadSources, 10000);

eventSelect.addEventListener("change", () => {
  loadSources();
  if (socket) socket.close();
});

connect();
