"""German and English interface texts, and picking one from the browser's languages."""

from __future__ import annotations

LANGUAGES = ("de", "en")

TEXTS: dict[str, dict[str, str]] = {
    "de": {
        "sign_in": "Anmelden",
        "sign_out": "Abmelden",
        "user": "Benutzername",
        "password": "Passwort",
        "bad_login": "Benutzername oder Passwort ist falsch.",
        "moderate": "Moderation",
        "pending": "Wartend",
        "approve": "Freigeben",
        "reject": "Ablehnen",
        "queue_empty": "Keine wartenden Beiträge. Neue erscheinen hier von selbst.",
        "walls": "Walls",
        "open_wall": "Wall öffnen",
        "content_warning": "Inhaltswarnung",
        "no_users": "Noch kein Konto? Auf dem Server: socialwall users add NAME --role organizer",
        "wall_not_found": "Keine Wall mit diesem Namen.",
        "edited": "Nach der Freigabe bearbeitet – die Wall zeigt noch die freigegebene Fassung",
        "sources": "Quellen",
        "next_attempt": "nächster Versuch",
    },
    "en": {
        "sign_in": "Sign in",
        "sign_out": "Sign out",
        "user": "User name",
        "password": "Password",
        "bad_login": "Wrong user name or password.",
        "moderate": "Moderation",
        "pending": "Waiting",
        "approve": "Approve",
        "reject": "Reject",
        "queue_empty": "Nothing waiting. New posts appear here by themselves.",
        "walls": "Walls",
        "open_wall": "Open wall",
        "content_warning": "Content warning",
        "no_users": "No account yet? On the server: socialwall users add NAME --role organizer",
        "wall_not_found": "There is no wall by that name.",
        "edited": "Edited after approval – walls still show the approved version",
        "sources": "Sources",
        "next_attempt": "next attempt",
    },
}


def pick_language(accept_language: str | None, chosen: str | None = None) -> str:
    """The chosen language if known, else the browser's first German or English, else German."""
    if chosen in LANGUAGES:
        return chosen
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip().lower()[:2]))
    for _, _, language in sorted(ranked):
        if language in LANGUAGES:
            return language
    return "de"
