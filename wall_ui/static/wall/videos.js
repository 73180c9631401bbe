// Videos on cards play only while they are on screen: one IntersectionObserver for the page
// plays a watched video when enough of it is visible and pauses it when it leaves (scrolled out
// of the stage, clipped by it, or taken out of the page). A wall has no controls: videos are
// muted and loop, and a video behind a content warning is never watched, so it never plays.

const VISIBLE_RATIO = 0.25; // this much of a video on screen and it plays

const watched = new Set();
const placed = new WeakSet(); // watched videos that have been in the page
let observer = null;

/** Play this video whenever it is on screen (until released). */
export function watchVideo(video) {
  if (typeof IntersectionObserver !== "function") return;
  if (!observer) {
    observer = new IntersectionObserver(onEntries, { threshold: [0, VISIBLE_RATIO] });
  }
  sweep();
  watched.add(video);
  observer.observe(video);
}

/** Stop watching and free the decoder: the element keeps no source and no buffered frames. */
export function releaseVideo(video) {
  if (watched.delete(video) && observer) observer.unobserve(video);
  video.pause();
  video.removeAttribute("src");
  video.removeAttribute("poster");
  // load() with no source drops the buffered data, so the memory goes now, not at GC time.
  video.load();
}

function onEntries(entries) {
  for (const entry of entries) {
    const video = entry.target;
    if (!video.isConnected) {
      // A card is built before it is inserted: only a video that was in the page has left it.
      if (placed.has(video)) releaseVideo(video);
      continue;
    }
    placed.add(video);
    if (entry.isIntersecting && entry.intersectionRatio >= VISIBLE_RATIO) {
      // Muted videos may play without a user gesture; a rejected play() (paused again before
      // it started, or a broken file) only means it stays still on its poster.
      video.play().catch(() => {});
    } else {
      video.pause();
    }
  }
}

/** Videos whose cards were dropped without being released (replaced wholesale) are let go. */
function sweep() {
  for (const video of watched) {
    if (!video.isConnected && placed.has(video)) releaseVideo(video);
  }
}
