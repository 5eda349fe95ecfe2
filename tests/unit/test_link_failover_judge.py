"""The failover bounds the lab test holds a silent cut to, on canned echo timelines: the longest
UDP gap at most 1.5 s, the longest TCP stall under 3 s, and echoes of what was sent after the
cut on both. A 6-second outage, or traffic that never comes back, must fail."""

from __future__ import annotations

from typing import Any

import pytest

from tests.roles import link_failover_probe as probe

RTT = 0.001
CUT = 2.0  # the last echo before the outage arrives at CUT + RTT
CUT_AT = CUT + RTT + 0.0005  # the moment the test saw its cut in place
RUN = 10.0
UDP_PERIOD, TCP_PERIOD = 0.01, 0.02


def udp_line(silent_for: float, until: float = RUN) -> dict[str, Any]:
    """Echoes every 10 ms; those that would arrive within ``silent_for`` after the last one
    before the cut are lost (UDP is not resent)."""
    echoes, sends = [], []
    end = CUT + RTT + silent_for
    for k in range(round(until / UDP_PERIOD) + 1):
        sent = round(k * UDP_PERIOD, 4)
        sends.append(sent)
        arrives = round(sent + RTT, 4)
        if not CUT + RTT < arrives < end - 1e-9:
            echoes.append([k, sent, arrives])
    return {"first_sent": sends[0], "last_sent": sends[-1], "echoes": echoes}


def tcp_line(stall: float, until: float = RUN) -> dict[str, Any]:
    """A counter every 20 ms; what would arrive within ``stall`` after the last echo before
    the cut arrives all at once when the stall ends (retransmission)."""
    echoes, sends = [], []
    end = round(CUT + RTT + stall, 4)
    for k in range(round(until / TCP_PERIOD) + 1):
        sent = round(k * TCP_PERIOD, 4)
        sends.append(sent)
        arrives = round(sent + RTT, 4)
        if CUT + RTT < arrives < end:
            arrives = end
        echoes.append([k, sent, arrives])
    return {"first_sent": sends[0], "last_sent": sends[-1], "echoes": echoes}


def judged(udp_gap: float, tcp_stall: float) -> tuple[dict[str, int], list[str]]:
    return probe.judge_cut(udp_line(udp_gap), tcp_line(tcp_stall), CUT_AT)


@pytest.mark.parametrize(("gap", "ok"), [(1.49, True), (1.50, True), (1.51, False)])
def test_udp_gap_of_at_most_one_and_a_half_seconds_passes(gap: float, ok: bool) -> None:
    figures, problems = judged(gap, 0.5)
    assert figures["udp_longest_gap_ms"] == round(gap * 1000)
    assert figures["udp_gap_at_cut_ms"] == round(gap * 1000)
    assert (problems == []) is ok, problems
    if not ok:
        assert problems == [f"UDP went {round(gap * 1000)} ms without an echo (at most 1500)"]


@pytest.mark.parametrize(("stall", "ok"), [(2.9, True), (2.999, True), (3.0, False), (3.1, False)])
def test_tcp_stall_under_three_seconds_passes(stall: float, ok: bool) -> None:
    figures, problems = judged(1.0, stall)
    assert figures["tcp_longest_stall_ms"] == round(stall * 1000)
    assert figures["tcp_stall_at_cut_ms"] == round(stall * 1000)
    assert (problems == []) is ok, problems
    if not ok:
        assert problems == [f"TCP stalled {round(stall * 1000)} ms (under 3000)"]


def test_a_six_second_outage_fails_on_both() -> None:
    figures, problems = judged(6.0, 6.0)
    assert figures["udp_longest_gap_ms"] == 6000 and figures["tcp_longest_stall_ms"] == 6000
    assert len(problems) == 2, problems
    assert figures["udp_echoes_after_cut"] > 0 and figures["tcp_echoes_after_cut"] > 0


def test_echoes_after_the_cut_are_counted_by_send_time() -> None:
    figures, problems = judged(1.0, 1.0)
    assert problems == []
    # UDP: every 10 ms from the first echo after the gap to the end of the run.
    assert figures["udp_echoes_after_cut"] == sum(
        1 for e in udp_line(1.0)["echoes"] if e[1] > CUT_AT)
    assert figures["udp_echoes_after_cut"] > 700


def test_traffic_that_never_returns_fails_even_if_the_probe_stopped_during_the_outage() -> None:
    """The probe ends 1 s after the cut with nothing back: the open outage counts, and no echo
    of what was sent after the cut came back."""
    udp = udp_line(RUN, until=CUT + 1.0)
    tcp = tcp_line(RUN, until=CUT + 1.0)
    tcp["echoes"] = [e for e in tcp["echoes"] if e[2] <= CUT + RTT]
    figures, problems = probe.judge_cut(udp, tcp, CUT_AT)
    assert figures["udp_echoes_after_cut"] == 0 and figures["tcp_echoes_after_cut"] == 0
    assert "no UDP echo of anything sent after the cut" in problems
    assert "no TCP echo of anything sent after the cut" in problems
    # Within the bounds by length alone: it is the missing echoes that fail it.
    assert figures["udp_longest_gap_ms"] == 999 and figures["tcp_longest_stall_ms"] == 999


def test_tcp_echoes_delivered_after_the_cut_but_sent_before_do_not_count() -> None:
    """A connection that stops sending at the cut still delivers what it had queued, after
    the cut: none of that proves the path carries new traffic."""
    tcp = tcp_line(0.0, until=CUT - 0.1)
    queued = [[k, round(k * TCP_PERIOD, 4), CUT + 0.5] for k in range(96, 101)]  # 1.92-2.0 s
    tcp["echoes"] += queued
    tcp["last_sent"] = CUT
    figures, problems = probe.judge_cut(udp_line(0.5), tcp, CUT_AT)
    assert figures["tcp_echoes_after_cut"] == 0
    assert figures["tcp_longest_stall_ms"] == round((CUT + 0.5 - (CUT - 0.1 + RTT)) * 1000)
    assert problems == ["no TCP echo of anything sent after the cut"]


def test_a_stall_running_past_the_last_send_is_measured_whole() -> None:
    """The stall began 1.5 s before the last send and ended 1 s after it: 2.5 s, not 1.5."""
    echoes = [[k, round(k * TCP_PERIOD, 4), round(k * TCP_PERIOD + RTT, 4)] for k in range(426)]
    echoes.append([426, 8.52, 11.001])  # the last echo before: 8.501
    line = {"first_sent": 0.0, "last_sent": 10.0, "echoes": echoes}
    assert probe.longest_gap_ms(line) == 2500


def test_no_echo_at_all_is_one_gap_over_the_whole_run() -> None:
    assert probe.longest_gap_ms({"first_sent": 1.0, "last_sent": 7.0, "echoes": []}) == 6000
    assert probe.longest_gap_ms({"first_sent": None, "last_sent": None, "echoes": []}) == 0
