// Small DOM helpers for the desk. Post content only ever goes in through textContent.

const SVG = "http://www.w3.org/2000/svg";

// 24×24 outline icons (stroke paths), so the desk needs no icon font and no emoji font.
const ICONS = {
  approve: "M5 12.5l4.5 4.5L19 7.5",
  reject: "M6.5 6.5l11 11M17.5 6.5l-11 11",
  pin: "M9 4h6l-1 6 3 3H7l3-3zM12 13v7",
  hold: "M8 5v14M16 5v14",
  unhold: "M15 6l-6 6 6 6",
  spotlight: "M12 3v3M12 18v3M3 12h3M18 12h3M5.6 5.6l2.1 2.1M16.3 16.3l2.1 2.1M5.6 18.4l2.1-2.1M16.3 7.7l2.1-2.1M12 8.5a3.5 3.5 0 1 1 0 7a3.5 3.5 0 1 1 0-7",
  retract: "M4 12h11M10 7l-5 5 5 5M19 5v14",
  undo: "M9 8H5V4M5.5 8.5A8 8 0 1 1 6 17",
  pause: "M9 5v14M15 5v14",
  play: "M8 5l11 7-11 7z",
  flag: "M6 21V4M6 4h11l-2 4 2 4H6",
  announce: "M4 10v4h3l7 4.5V5.5L7 10zM17.5 9a4 4 0 0 1 0 6M20 6.5a7.5 7.5 0 0 1 0 11",
  grid: "M4 4h7v7H4zM13 4h7v7h-7zM4 13h7v7H4zM13 13h7v7h-7z",
  spotlight_layout: "M3 5h18v14H3zM7.5 8.5h9v7h-9z",
  ticker: "M3 5h18v14H3zM3 14.5h18M6 17h8",
  open: "M14 4h6v6M20 4l-9 9M18 14v6H4V6h6",
};

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

export function icon(name) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "icon");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", ICONS[name] || "");
  svg.append(path);
  return svg;
}

/** A button with an icon and a label; `action` goes into data-action for delegated clicks. */
export function button({ action, label, className = "", iconName = null, title = null }) {
  const node = el("button", className);
  node.type = "button";
  if (action) node.dataset.action = action;
  if (iconName) node.append(icon(iconName));
  node.append(el("span", "label", label));
  if (title) node.title = title;
  return node;
}

/** The whole document is in the page language; JSON data blocks are not executed (CSP-safe). */
export function readJson(id, fallback) {
  const node = document.getElementById(id);
  if (!node) return fallback;
  try {
    return JSON.parse(node.textContent);
  } catch {
    return fallback;
  }
}
