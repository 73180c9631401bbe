// Keyboard shortcuts for a desk on a laptop. Typing in a field never triggers one (except Escape).

const TYPING = "input:not([type=checkbox]):not([type=radio]), textarea, select, [contenteditable]";

/** `bindings` maps a name to a handler: next, previous, approve, reject, pin, spotlight, hold,
    undo, select, help, escape. */
export function bindKeys(bindings) {
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.isComposing) return;
    const name = shortcut(event);
    if (!name || !bindings[name]) return;
    if (name !== "escape" && event.target.closest && event.target.closest(TYPING)) return;
    // An open dialog has the keys to itself (Escape closes it natively).
    if (document.querySelector("dialog[open]")) return;
    event.preventDefault();
    bindings[name](event);
  });
}

function shortcut(event) {
  const key = event.key;
  if ((event.ctrlKey || event.metaKey) && !event.altKey && key.toLowerCase() === "z" && !event.shiftKey) {
    return "undo";
  }
  if (event.ctrlKey || event.metaKey || event.altKey) return null;
  switch (key) {
    case "j": case "ArrowDown": return "next";
    case "k": case "ArrowUp": return "previous";
    case "a": return "approve";
    case "r": return "reject";
    case "p": return "pin";
    case "s": return "spotlight";
    case "h": return "hold";
    case "u": return "undo";
    case "x": return "select";
    case "?": return "help";
    case "Escape": return "escape";
    default: return null;
  }
}
