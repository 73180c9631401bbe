// Swipe a card right to approve, left to reject. Pointer events, so touch, pen and mouse all
// work; the cards have `touch-action: pan-y`, so vertical scrolling stays the browser's. A drag
// only becomes a swipe once it is clearly sideways, and only past a threshold does letting go
// do anything: a scroll, a short drag or a wobble snaps back.

const SLOP_PX = 12; // movement before we decide between "swipe" and "scroll"
const MIN_THRESHOLD_PX = 96;
const MAX_THRESHOLD_PX = 220;
const THRESHOLD_SHARE = 0.3; // of the card's width
const IGNORE = "button, a, input, select, textarea, label, [data-no-swipe]";

export function threshold(width) {
  return Math.min(MAX_THRESHOLD_PX, Math.max(MIN_THRESHOLD_PX, width * THRESHOLD_SHARE));
}

/**
 * enabled(card) -> bool: may this card be swiped now?
 * onSwipe(card, "right" | "left"): the swipe was completed.
 */
export function enableSwipe(list, { enabled, onSwipe }) {
  let drag = null;

  function reset(card) {
    card.classList.remove("dragging", "swipe-right", "swipe-left", "armed");
    card.classList.add("snapping");
    const body = card.querySelector(".card-body");
    body.style.removeProperty("--dx");
    card.style.removeProperty("--progress");
    setTimeout(() => card.classList.remove("snapping"), 200);
  }

  list.addEventListener("pointerdown", (event) => {
    if (drag || !event.isPrimary || event.button !== 0) return;
    if (event.target.closest(IGNORE)) return;
    const card = event.target.closest(".card[data-post-id]");
    if (!card || !enabled(card)) return;
    drag = {
      card,
      id: event.pointerId,
      x: event.clientX,
      y: event.clientY,
      dx: 0,
      swiping: false,
      limit: threshold(card.getBoundingClientRect().width),
    };
  });

  list.addEventListener("pointermove", (event) => {
    if (!drag || event.pointerId !== drag.id) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (!drag.swiping) {
      if (Math.abs(dy) > SLOP_PX && Math.abs(dy) >= Math.abs(dx)) {
        drag = null; // a scroll: leave it to the browser
        return;
      }
      if (Math.abs(dx) < SLOP_PX || Math.abs(dx) < 1.5 * Math.abs(dy)) return;
      drag.swiping = true;
      drag.card.classList.add("dragging");
      try {
        drag.card.setPointerCapture(event.pointerId);
      } catch {
        // The pointer is already gone; pointerup/cancel will tidy up.
      }
    }
    event.preventDefault();
    drag.dx = dx;
    const { card, limit } = drag;
    card.querySelector(".card-body").style.setProperty("--dx", `${dx}px`);
    card.style.setProperty("--progress", String(Math.min(1, Math.abs(dx) / limit)));
    card.classList.toggle("swipe-right", dx > 0);
    card.classList.toggle("swipe-left", dx < 0);
    const armed = Math.abs(dx) >= limit;
    if (armed !== card.classList.contains("armed")) {
      card.classList.toggle("armed", armed);
      if (armed && navigator.vibrate) navigator.vibrate(8);
    }
  });

  function finish(event, cancelled) {
    if (!drag || event.pointerId !== drag.id) return;
    const { card, dx, swiping, limit } = drag;
    drag = null;
    if (!swiping) return;
    // The click that follows a drag must not press a button under the finger.
    const swallow = (click) => {
      click.stopPropagation();
      click.preventDefault();
    };
    window.addEventListener("click", swallow, { capture: true, once: true });
    setTimeout(() => window.removeEventListener("click", swallow, { capture: true }), 0);
    if (!cancelled && Math.abs(dx) >= limit && card.isConnected && card.dataset.postId) {
      card.classList.remove("dragging");
      onSwipe(card, dx > 0 ? "right" : "left");
    } else {
      reset(card);
    }
  }

  list.addEventListener("pointerup", (event) => finish(event, false));
  list.addEventListener("pointercancel", (event) => finish(event, true));
  // A card taken away mid-drag (another moderator decided it) ends the drag.
  return {
    cancel() {
      if (drag && drag.swiping) reset(drag.card);
      drag = null;
    },
  };
}
