"""The settings file (`config.yaml`): its schema, loading, and error messages people can act on."""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from app.rules import RulesConfig
from ingest.registry import SOURCE_CONFIGS, SourceConfig

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/socialwall.db"
DATABASE_URL_ENV = "SOCIALWALL_DATABASE_URL"

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
# A CSS colour: a hex value or a functional notation without anything that could end the
# declaration, so a typo in config.yaml cannot inject CSS into every wall.
COLOUR_PATTERN = r"^(#[0-9a-fA-F]{3,8}|[a-z]+\([0-9.,%\s/a-z-]*\)|[a-z]+)$"
Slug = Annotated[str, Field(pattern=SLUG_PATTERN)]
CssColour = Annotated[str, Field(pattern=COLOUR_PATTERN)]
FontFamily = Annotated[str, Field(pattern=r"^[\w\s,'\"-]+$", max_length=200)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerConfig(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # Set behind a TLS-terminating proxy so session cookies are marked Secure.
    https: bool = False


class DatabaseConfig(_Strict):
    url: str = DEFAULT_DATABASE_URL

    @field_validator("url")
    @classmethod
    def _async_driver(cls, url: str) -> str:
        return normalise_database_url(url)


class NetworkConfig(_Strict):
    # Sources and the media cache refuse private, loopback and link-local addresses unless
    # this is set (e.g. a Mastodon instance on the venue's own network, or tests).
    allow_private_addresses: bool = False
    timeout_seconds: float = Field(default=15.0, gt=0, le=300)


class MediaConfig(_Strict):
    cache_dir: Path = Path("./data/media")
    max_megabytes: float = Field(default=20.0, gt=0, le=1000)


class PubSubConfig(_Strict):
    backend: Literal["memory"] = "memory"


class ThemeConfig(_Strict):
    background: CssColour = "#0b1020"
    foreground: CssColour = "#f5f7fb"
    muted: CssColour = "#9aa4bf"
    accent: CssColour = "#ff6b3d"
    card_background: CssColour = "#ffffff"
    card_foreground: CssColour = "#141a2e"
    font: FontFamily = ("'Inter', 'Segoe UI', 'Liberation Sans', 'DejaVu Sans', system-ui, "
                        "sans-serif, 'Noto Color Emoji'")


# Files a wall shows (logo, background) or applies (custom CSS): kinds and size limits.
ASSET_KINDS = {
    "logo": ({".svg", ".png", ".jpg", ".jpeg", ".webp", ".gif"}, 2_000_000),
    "background_image": ({".svg", ".png", ".jpg", ".jpeg", ".webp"}, 10_000_000),
    "custom_css": ({".css"}, 200_000),
}
LAYOUTS = ("grid", "spotlight", "ticker")
Layout = Literal["grid", "spotlight", "ticker"]


class QrConfig(_Strict):
    """A QR code in a corner of the wall, e.g. to the event app or a submission form."""

    url: str = Field(min_length=1, max_length=500, pattern=r"^https?://\S+$")
    text: str = Field(default="", max_length=120)  # the call to action beside it


class WallConfig(_Strict):
    slug: Slug
    title: str = Field(default="", max_length=200)
    # grid: a masonry of cards; spotlight: one post large at a time; ticker: a lower third,
    # one post at a time in a band at the bottom (beside stage slides, or as a stream overlay).
    layout: Layout = "grid"
    max_posts: int = Field(default=30, ge=1, le=200)
    # A burst of approvals is shown one post per pace_seconds (0: all at once).
    pace_seconds: float = Field(default=2.0, ge=0, le=60)
    # Grid: nothing new for this long, an earlier post is shown again (0: never).
    # Spotlight and ticker: how long each post stays.
    rotate_seconds: float = Field(default=12.0, ge=0, le=600)
    theme: ThemeConfig = ThemeConfig()
    # Paths relative to config.yaml; served by the app itself (no CDN).
    logo: Path | None = None
    background_image: Path | None = None
    custom_css: Path | None = None
    qr: QrConfig | None = None
    # token: the wall (page and socket) needs ?token=… of a display (or any) account.
    access: Literal["public", "token"] = "public"

    @field_validator("logo", "background_image", "custom_css")
    @classmethod
    def _asset(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if value is None:
            return None
        base = Path((info.context or {}).get("base_dir", "."))
        path = (base / value.expanduser()).resolve()
        kinds, limit = ASSET_KINDS[str(info.field_name)]
        if path.suffix.lower() not in kinds:
            raise ValueError(f"must be one of {', '.join(sorted(kinds))}")
        if not path.is_file():
            raise ValueError(f"no such file ({path})")
        if path.stat().st_size > limit:
            raise ValueError(f"larger than {limit // 1000} KB")
        return path

    def options(self) -> dict[str, Any]:
        """What the database keeps of the wall's display options (see Wall.options)."""
        return {
            "pace_seconds": self.pace_seconds,
            "rotate_seconds": self.rotate_seconds,
            "qr": self.qr.model_dump() if self.qr else None,
            **{name: str(getattr(self, name)) if getattr(self, name) else None
               for name in ASSET_KINDS},
        }


class EventConfig(_Strict):
    slug: Slug
    name: str = Field(min_length=1, max_length=200)
    hashtags: list[str] = Field(default_factory=list)
    moderation: Literal["pre", "post"] = "pre"
    rules: RulesConfig = RulesConfig()
    walls: list[WallConfig] = Field(default_factory=list)
    sources: list[SourceConfig] = Field(default_factory=list)

    @field_validator("hashtags")
    @classmethod
    def _bare_hashtags(cls, tags: list[str]) -> list[str]:
        for tag in tags:
            if tag.startswith("#"):
                raise ValueError(f"write hashtags without '#': {tag!r} should be {tag[1:]!r}")
            if not re.fullmatch(r"\w+", tag):
                raise ValueError(f"{tag!r} is not a hashtag: use letters, digits and _ only")
        return tags

    @model_validator(mode="after")
    def _unique_names(self) -> EventConfig:
        _require_unique("wall slug", [(f"walls[{i}].slug", w.slug)
                                      for i, w in enumerate(self.walls)])
        _require_unique("source name", [(f"sources[{i}].name", s.name)
                                        for i, s in enumerate(self.sources)])
        return self


class Settings(_Strict):
    server: ServerConfig = ServerConfig()
    database: DatabaseConfig = DatabaseConfig()
    pubsub: PubSubConfig = PubSubConfig()
    network: NetworkConfig = NetworkConfig()
    media: MediaConfig = MediaConfig()
    events: list[EventConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_slugs(self) -> Settings:
        _require_unique("event slug", [(f"events[{i}].slug", e.slug)
                                       for i, e in enumerate(self.events)])
        _require_unique("wall slug", [(f"events[{i}].walls[{j}].slug", w.slug)
                                      for i, e in enumerate(self.events)
                                      for j, w in enumerate(e.walls)])
        return self


class ConfigError(Exception):
    """The settings file cannot be used; the message lists every problem found."""


def _require_unique(what: str, values: list[tuple[str, str]]) -> None:
    """Fail on the first value given twice, naming both places (each `(path, value)`)."""
    seen: dict[str, str] = {}
    for where, value in values:
        if value in seen:
            raise ValueError(f"{what} {value!r} is used twice: {seen[value]} and {where}")
        seen[value] = where


def normalise_database_url(url: str) -> str:
    """Pick the async driver for plain `sqlite://` and `postgresql://` URLs."""
    for plain, driver in (("sqlite://", "sqlite+aiosqlite://"),
                          ("postgresql://", "postgresql+asyncpg://"),
                          ("postgres://", "postgresql+asyncpg://")):
        if url.startswith(plain):
            return driver + url[len(plain):]
    if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ValueError("use a sqlite:/// or postgresql:// URL")
    return url


def load_settings(path: Path, environ: dict[str, str] | None = None) -> Settings:
    """Read, validate and return the settings; raise ConfigError naming every bad field."""
    environ = dict(os.environ) if environ is None else environ
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such file") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{path}: expected a mapping of settings at the top, got {type(raw).__name__}")
    if url := environ.get(DATABASE_URL_ENV):
        raw["database"] = {**(raw.get("database") or {}), "url": url}
    return parse_settings(raw, source=str(path), base_dir=path.parent)


def parse_settings(raw: dict[str, Any], source: str = "config",
                   base_dir: Path | None = None) -> Settings:
    """Validate an already parsed settings mapping (file paths in it are relative to
    `base_dir`, the current directory by default)."""
    try:
        return Settings.model_validate(raw, context={"base_dir": base_dir or Path(".")})
    except ValidationError as exc:
        problems = "\n".join(f"  - {_describe(error)}" for error in exc.errors())
        raise ConfigError(f"{source} is not valid:\n{problems}") from None


def _describe(error: Any) -> str:
    where = _location(error["loc"])
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        name = str(error["loc"][-1])
        hint = _did_you_mean(name, _known_fields(error["loc"][:-1]))
        return f"{where}: unknown setting {name!r}{hint}"
    if kind == "union_tag_invalid":
        ctx = error["ctx"]
        tags = [t.strip(" '") for t in ctx["expected_tags"].split(",")]
        hint = _did_you_mean(str(ctx["tag"]), tags)
        known = ", ".join(tags)
        return f"{where}.type = {ctx['tag']!r}: unknown source type (known: {known}){hint}"
    if kind == "missing":
        return f"{where}: required setting is missing"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "string_pattern_mismatch":
        message = _PATTERN_HELP.get(str(error["ctx"]["pattern"]), message)
    if isinstance(value, dict | list):
        return f"{where}: {message}"
    return f"{where} = {value!r}: {message}"


_PATTERN_HELP = {
    SLUG_PATTERN: "use lower-case letters, digits and '-' (e.g. main-stage)",
    COLOUR_PATTERN: "not a CSS colour (e.g. #0b1020 or rgb(10, 16, 32))",
}


def _location(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif item in SOURCE_CONFIGS:
            continue  # pydantic adds the union tag to the location of errors inside a source
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "(top level)"


def _known_fields(loc: tuple[Any, ...]) -> list[str]:
    """The setting names allowed at a location, by walking the schema along it."""
    model: Any = Settings
    for item in loc:
        if isinstance(item, int):
            continue
        if item in SOURCE_CONFIGS:
            model = SOURCE_CONFIGS[item]
            continue
        field = model.model_fields.get(item) if hasattr(model, "model_fields") else None
        if field is None:
            return []
        model = _inner_model(field.annotation)
    return list(model.model_fields) if hasattr(model, "model_fields") else []


def _inner_model(annotation: Any) -> Any:
    for arg in getattr(annotation, "__args__", ()):
        if hasattr(arg, "model_fields"):
            return arg
    return annotation


def _did_you_mean(name: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
