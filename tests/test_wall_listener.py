"""app/wall_listener.py: what a wall is written, in order, and when it is cut off."""

from __future__ import annotations

import asyncio

import pytest

from app import wall_listener
from app.serving import encode_text
from app.wall_listener import CLOSE_LAGGED, Frame, Listener, MissedChanges


class Socket:
    """A DirectSocket that records what it is asked to do."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.backlog = 0
        self.closed: tuple[int, str] | None = None

    def write_frame(self, frame: bytes) -> None:
        self.frames.append(frame)

    def buffered(self) -> int:
        return self.backlog

    def close_now(self, code: int, reason: str) -> None:
        self.closed = (code, reason)


def _frames(*seqs: int) -> list[bytes]:
    return [encode_text(f"change {seq}") for seq in seqs]


async def test_frames_that_waited_for_the_catch_up_go_first_and_none_twice() -> None:
    listener, socket = Listener(8), Socket()
    for seq in (3, 4, 5):  # arrived while the catch-up (up to 4) was being sent
        assert listener.offer(Frame(seq, f"change {seq}"))
    assert listener.go_direct(socket, sent=4)
    assert listener.offer(Frame(6, "change 6"))
    assert listener.offer(Frame(None, '{"type":"pong"}'))
    assert socket.frames == [*_frames(5, 6), encode_text('{"type":"pong"}')]
    assert listener.sent == 6 and socket.closed is None


async def test_a_frame_is_encoded_once_for_every_wall() -> None:
    frame = Frame(1, "change 1")
    sockets = [Socket(), Socket()]
    for socket in sockets:
        listener = Listener(4)
        listener.go_direct(socket, 0)
        listener.offer(frame)
    assert sockets[0].frames[0] is sockets[1].frames[0]


async def test_a_gap_cuts_the_wall_off() -> None:
    listener, socket = Listener(8), Socket()
    listener.go_direct(socket, sent=2)
    assert not listener.offer(Frame(4, "change 4"))
    assert socket.frames == [] and socket.closed is not None
    assert socket.closed[0] == CLOSE_LAGGED


async def test_a_wall_that_stopped_reading_is_cut_off_at_the_bound() -> None:
    listener, socket = Listener(8), Socket()
    listener.go_direct(socket, sent=0)
    socket.backlog = wall_listener.MAX_BUFFERED
    assert listener.offer(Frame(1, "change 1"))  # at the bound: still written
    socket.backlog = wall_listener.MAX_BUFFERED + 1
    assert not listener.offer(Frame(2, "change 2"))
    assert socket.frames == _frames(1)
    assert socket.closed == (CLOSE_LAGGED, "too far behind; reconnect with last_seq")


async def test_a_wall_cut_off_during_its_catch_up_is_closed_when_it_would_go_live() -> None:
    listener, socket = Listener(2), Socket()
    assert listener.offer(Frame(1, "change 1"))
    assert listener.offer(Frame(2, "change 2"))
    assert not listener.offer(Frame(3, "change 3"))  # the inbox is full: cut off
    assert not listener.go_direct(socket, sent=0)
    assert socket.frames == _frames(1, 2) and socket.closed is not None
    assert socket.closed[0] == CLOSE_LAGGED


async def test_closing_a_wall_without_a_direct_socket_wakes_its_task() -> None:
    listener = Listener(2)
    waiting = asyncio.create_task(listener.queue.wait())
    await asyncio.sleep(0)  # the task is waiting now
    listener.close(4408, "nothing received for 45 s")
    await asyncio.wait_for(waiting, 5)  # woken, with nothing queued
    assert listener.closing == (4408, "nothing received for 45 s")


async def test_due_sends_each_change_once_in_order_and_pings_always() -> None:
    listener = Listener(2)
    listener.sent = 4  # the catch-up went up to 4
    assert not listener.due(Frame(4, "change 4"))
    assert listener.due(Frame(5, "change 5")) and listener.sent == 5
    assert listener.due(Frame(None, '{"type":"ping","t":1}')) and listener.sent == 5
    with pytest.raises(MissedChanges):
        listener.due(Frame(7, "change 7"))
    assert listener.sent == 5
