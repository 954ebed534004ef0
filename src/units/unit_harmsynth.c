/* unit_harmsynth.c — "gbac.harmonic-synth": the DDSP-style harmonic + noise instrument.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each voice plays a timbre frame sequence (state "timbre", see docs/timbre-format.md)
 * through a gb_oscbank. Everything that changes over a note — envelope, glide, vibrato,
 * timbre frame, gain smoothing — is computed at a control rate of one update per
 * HS_CONTROL samples of the voice's own clock and ramped linearly per sample in between, so
 * output does not depend on how blocks are split. A stolen voice moves to one of HS_FADES
 * fade slots and ramps to silence over HS_FADE_MS while the new note starts at once.
 * Extensions: gbac.voices (voices sounding), gbac.polyphony (the preset's "polyphony").
 */
#include "hs_core.inc"

static const gbp_param_info_t hs_params[P_COUNT] = {HS_PARAM_LIST};

/** gbac.voices, gbac.polyphony. [main] */
static const void *hs_get_extension(void *self, const char *id)
{
    (void)self;
    return hs_extension(id);
}

const gbp_descriptor_t gb_unit_harmsynth = {
    .abi_version = GBP_ABI_VERSION,
    .struct_size = sizeof(gbp_descriptor_t),
    .id = "gbac.harmonic-synth",
    .name = "Harmonic synth",
    .vendor = "gbac",
    .version = "1.0",
    .description = "DDSP-style harmonic + noise synthesis from timbre frames",
    .kind = GBP_KIND_INSTRUMENT,
    .n_params = P_COUNT,
    .params = hs_params,
    .create = hs_create,
    .destroy = hs_destroy,
    .activate = hs_activate,
    .deactivate = hs_deactivate,
    .reset = hs_reset,
    .process = hs_process,
    .set_param = hs_set_param,
    .get_param = hs_get_param,
    .save_state = hs_save_state,
    .load_state = hs_load_state,
    .get_extension = hs_get_extension,
};
