// Short messages at the bottom of the screen, one of them perhaps with an Undo button and the
// seconds left to press it. At most a few at once: the oldest give way.

import { el, icon } from "./dom.js";

const MAX_TOASTS = 3;

export class Toasts {
  constructor(root, { undoLabel, closeLabel }) {
    this.root = root;
    this.undoLabel = undoLabel;
    this.closeLabel = closeLabel;
  }

  /**
   * kind: "done" | "info" | "warn" | "error". With `undo` (a function) and `until` (ms
   * timestamp) the toast offers Undo until then. Returns {close()}.
   */
  show({ message, kind = "info", undo = null, until = null, ms = 5000, details = [] }) {
    const toast = el("div", `toast ${kind}`);
    toast.setAttribute("role", kind === "error" || kind === "warn" ? "alert" : "status");
    const text = el("div", "toast-text");
    text.append(el("p", "toast-message", message));
    if (details.length) {
      const list = el("ul", "toast-details");
      for (const line of details) list.append(el("li", null, line));
      text.append(list);
    }
    toast.append(text);
    let timer = null;
    let ticker = null;
    const close = () => {
      clearTimeout(timer);
      clearInterval(ticker);
      toast.remove();
    };
    if (undo && until) {
      const undoButton = el("button", "undo");
      undoButton.type = "button";
      undoButton.dataset.action = "undo";
      const seconds = el("span", "seconds");
      undoButton.append(icon("undo"), el("span", "label", this.undoLabel), seconds);
      const tick = () => {
        const left = Math.ceil((until - Date.now()) / 1000);
        if (left <= 0) {
          close();
          return;
        }
        seconds.textContent = String(left);
      };
      tick();
      ticker = setInterval(tick, 250);
      undoButton.addEventListener("click", () => {
        close();
        undo();
      });
      toast.append(undoButton);
    } else {
      timer = setTimeout(close, ms);
    }
    const dismiss = el("button", "dismiss", "×");
    dismiss.type = "button";
    dismiss.setAttribute("aria-label", this.closeLabel);
    dismiss.addEventListener("click", close);
    toast.append(dismiss);
    this.root.append(toast);
    while (this.root.children.length > MAX_TOASTS) this.root.firstElementChild.remove();
    return { close };
  }
}
