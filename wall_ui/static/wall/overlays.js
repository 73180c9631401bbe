// What the organizer puts around the posts: logo, background picture, QR code with its call to
// action, the announcement band, and the wall's stylesheets (theme colours, custom CSS). Every
// URL is the app's own (/wall/{slug}/...): a venue network may have no internet.

const ANNOUNCE_CHECK_MS = 1000;

export class Overlays {
  constructor(doc, clock) {
    this.doc = doc;
    this.body = doc.body;
    this.clock = clock;
    this.el = {
      logo: doc.getElementById("wall-logo"),
      qr: doc.getElementById("wall-qr"),
      qrImage: doc.getElementById("wall-qr-image"),
      qrText: doc.getElementById("wall-qr-text"),
      announcement: doc.getElementById("wall-announcement"),
      announcementText: doc.getElementById("wall-announcement-text"),
      theme: doc.getElementById("wall-theme"),
      custom: doc.getElementById("wall-custom-css"),
    };
    this.until = null;
    this.timer = null;
  }

  /** The parts of a `wall` frame (docs/protocol.md) that are drawn here. */
  apply(settings) {
    setHref(this.el.theme, settings.theme_url);
    setHref(this.el.custom, settings.custom_css_url);
    this.setLogo(settings.logo_url);
    this.setBackground(settings.background_url);
    this.setQr(settings.qr);
    if ("announcement" in settings) this.announce(settings.announcement);
  }

  setLogo(url) {
    const logo = this.el.logo;
    if (url) {
      if (logo.getAttribute("src") !== url) logo.src = url;
      logo.hidden = false;
    } else {
      logo.hidden = true;
      logo.removeAttribute("src");
    }
    this.body.dataset.logo = url ? "true" : "false";
  }

  setBackground(url) {
    // Through the CSSOM (allowed by the CSP); the stylesheet layers the theme colour over it.
    if (url) this.body.style.setProperty("--wall-bg-image", `url("${url.replace(/["\\]/g, "")}")`);
    else this.body.style.removeProperty("--wall-bg-image");
    this.body.dataset.background = url ? "true" : "false";
  }

  setQr(qr) {
    const shown = Boolean(qr && qr.image_url);
    this.el.qr.hidden = !shown;
    this.body.dataset.qr = shown ? "true" : "false";
    if (!shown) {
      this.el.qrImage.removeAttribute("src");
      return;
    }
    if (this.el.qrImage.getAttribute("src") !== qr.image_url) this.el.qrImage.src = qr.image_url;
    this.el.qrImage.alt = qr.url || "";
    this.el.qrText.textContent = qr.text || "";
    this.el.qrText.hidden = !qr.text;
  }

  /** Show an announcement ({text, until}) or take it down (null, or its time has passed). */
  announce(announcement) {
    clearInterval(this.timer);
    this.timer = null;
    const text = announcement && typeof announcement.text === "string" ? announcement.text : "";
    const until = announcement && announcement.until ? Date.parse(announcement.until) : null;
    if (!text || (until !== null && until <= this.clock.now())) {
      this.hideAnnouncement();
      return;
    }
    this.el.announcementText.textContent = text;
    this.el.announcement.hidden = false;
    this.body.dataset.announcement = "true";
    if (until !== null) {
      // Checked against the server's clock, which may differ from this PC's.
      this.timer = setInterval(() => {
        if (this.clock.now() >= until) this.hideAnnouncement();
      }, ANNOUNCE_CHECK_MS);
    }
  }

  hideAnnouncement() {
    clearInterval(this.timer);
    this.timer = null;
    this.el.announcement.hidden = true;
    this.el.announcementText.textContent = "";
    this.body.dataset.announcement = "false";
  }
}

function setHref(link, url) {
  if (!link) return;
  if (url) {
    if (link.getAttribute("href") !== url) link.href = url;
    link.disabled = false;
  } else {
    link.disabled = true;
  }
}
