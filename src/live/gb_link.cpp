/* gb_link.cpp — the C interface of gb_link.h over Ableton Link (ableton-link-dev, C++ headers
 * only, built with LINK_PLATFORM_LINUX). The only C++ in gbac; no exception leaves it.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "gb_link.h"

#include <ableton/Link.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <new>

struct gb_link {
    ableton::Link link;
    std::atomic<int> enabled{0};
    /* Link clock µs of events, set on Link's thread (callbacks) or main */
    std::atomic<int64_t> enabled_us{0}, peers_us{0}, tempo_us{0};
    explicit gb_link(double bpm) : link(bpm)
    {
        link.setNumPeersCallback([this](std::size_t) { peers_us.store(now()); });
        link.setTempoCallback([this](double) { tempo_us.store(now()); });
    }
    int64_t now() const { return static_cast<int64_t>(link.clock().micros().count()); }
};

static double clamp_quantum(double q)
{
    return q >= 1.0 && q <= 64.0 ? q : 4.0;
}

static void fill(const ableton::Link::SessionState &s, int64_t host_us, double quantum,
                 gb_link_state_t *out)
{
    const std::chrono::microseconds t(host_us);
    out->host_us = host_us;
    out->tempo_bpm = s.tempo();
    out->beat = s.beatAtTime(t, quantum);
    out->phase = s.phaseAtTime(t, quantum);
}

extern "C" {

gb_link_t *gb_link_new(double bpm, gb_error_t *err)
{
    if (!(bpm >= 20.0 && bpm <= 999.0))
        bpm = 120.0;
    try {
        return new gb_link(bpm);
    } catch (const std::exception &e) {
        gb_error_set(err, GB_EIO, "Ableton Link: cannot start: %s", e.what());
    } catch (...) {
        gb_error_set(err, GB_EIO, "Ableton Link: cannot start");
    }
    return nullptr;
}

void gb_link_free(gb_link_t *l)
{
    if (!l)
        return;
    try {
        l->link.enable(false);
    } catch (...) {
    }
    delete l;
}

void gb_link_enable(gb_link_t *l, int on)
{
    try {
        l->link.enable(on != 0);
        l->enabled.store(on != 0);
        l->enabled_us.store(on ? l->now() : 0);
    } catch (...) {
        l->enabled.store(0);
    }
}

int gb_link_is_enabled(const gb_link_t *l)
{
    return l ? l->enabled.load() : 0;
}

uint32_t gb_link_peers(const gb_link_t *l)
{
    return l ? static_cast<uint32_t>(l->link.numPeers()) : 0u;
}

int64_t gb_link_clock_us(const gb_link_t *l)
{
    return static_cast<int64_t>(l->link.clock().micros().count());
}

/* captureAudioSessionState reads Link's triple buffer of the session (atomics only) and the
 * clock; it neither locks nor allocates. */
void gb_link_audio_state(gb_link_t *l, int64_t host_us, double quantum, gb_link_state_t *out)
{
    const auto s = l->link.captureAudioSessionState();
    fill(s, host_us, clamp_quantum(quantum), out);
}

void gb_link_app_state(gb_link_t *l, int64_t host_us, double quantum, gb_link_state_t *out)
{
    const auto s = l->link.captureAppSessionState();
    fill(s, host_us, clamp_quantum(quantum), out);
}

void gb_link_get_times(const gb_link_t *l, gb_link_times_t *out)
{
    out->enabled_us = l->enabled_us.load();
    out->peers_us = l->peers_us.load();
    out->tempo_us = l->tempo_us.load();
}

void gb_link_propose_tempo(gb_link_t *l, double bpm)
{
    if (!std::isfinite(bpm))
        return;
    try {
        auto s = l->link.captureAppSessionState();
        s.setTempo(bpm, l->link.clock().micros());
        l->link.commitAppSessionState(s);
    } catch (...) {
    }
}

} /* extern "C" */
