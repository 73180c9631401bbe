"""Names of the hub's channels, in one place."""


def wall(event_id: int) -> str:
    """Changes every wall of an event must apply (frames of docs/protocol.md)."""
    return f"wall:{event_id}"


def moderation(event_id: int) -> str:
    """New and changed posts, for the moderators of an event."""
    return f"moderation:{event_id}"
