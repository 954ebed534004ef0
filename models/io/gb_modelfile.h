/* gb_modelfile.h — gbac model files: a gb_nn_t plus its architecture and model card, stored
 * as safetensors (see docs/model-format.md for the full format).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A model file is a safetensors file whose "__metadata__" holds three strings:
 *   "format":    "gbac-nn/1"
 *   "gbac.arch": the architecture, a JSON object as a string:
 *                {"input":16, "max_batch":8, "layers":[
 *                   {"type":"dense", "units":128, "activation":"relu"},
 *                   {"type":"gru", "units":64},
 *                   {"type":"conv1d", "channels":16, "kernel":3, "dilation":1,
 *                    "activation":"tanh"},
 *                   {"type":"activation", "activation":"leaky_relu", "alpha":0.01}]}
 *   "gbac.card": the model card, a JSON object as a string:
 *                {"kind":"melody-gan-generator", "features":{...},
 *                 "data":{"source":"...", "licence":"...", "counts":{"tunes":1034}},
 *                 "seed":42, "command":"gbac train ...", "metrics":{...}}
 *                kind, data.source, data.licence, seed and metrics are required; any other
 *                key is free-form.
 * and one tensor per parameter, named "layers.<i>.<param>" (param as gb_nn_param_info:
 * weight, bias, weight_ih, weight_hh, bias_ih, bias_hh) in the canonical PyTorch layouts of
 * gb_nn.h, dtype F32 or BF16. The dtype of a layer's weight matrices is its weight type
 * (gb_nn_set_wtype): BF16 matrices load as a bf16 layer, and gb_model_save() writes the
 * matrices of a bf16 layer as BF16 (biases always as F32; BF16 biases load, widened).
 * A file may also carry auxiliary tensors named "aux.<name>", of any dtype, that the
 * model's users read with gb_model_aux() (F32) or gb_model_aux_get() (e.g. the melody GAN's
 * hashes of its training phrases, gb_melody_copy.h); the runtime model ignores them.
 *
 * The loader is strict: every tensor must exist with exactly that name and shape, F32 or
 * BF16 (one dtype for the weight matrices of a layer),
 * no other tensor may exist, every weight must be finite, and the architecture must be within
 * the limits of gb_nn.h. Every error message starts with the file name and names the tensor or
 * the JSON key (e.g. "m.safetensors: gbac.arch: layers[2].kernel: expected an integer").
 *
 * Error codes (gb_common.h):
 *   GB_EIO          the file cannot be opened, read or written
 *   GB_EFORMAT      malformed file: safetensors structure, JSON, missing or extra tensors or
 *                   keys, wrong types, wrong shapes, unknown layer type or activation
 *   GB_EUNSUPPORTED a tensor dtype other than F32 and BF16 (F16, F64, ...), a format other
 *                   than gbac-nn/1
 *   GB_ERANGE       sizes beyond the limits (dimensions, layers, batch, header, memory) and
 *                   NaN or infinite weights
 *   GB_ENOMEM       out of memory;  GB_EINVAL  bad arguments
 */
#ifndef GB_MODELFILE_H
#define GB_MODELFILE_H

#include <jansson.h>
#include <stddef.h>

#include "gb_common.h"
#include "gb_nn.h"
#include "gb_safetensors.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Value of the "format" metadata key this version reads and writes. */
#define GB_MODEL_FORMAT "gbac-nn/1"

/** Largest run-time footprint (weights, streaming state, buffers) of a model the loader
 *  accepts, in bytes. A guard against files that describe absurd models. */
#define GB_MODEL_MAX_BYTES (512u * 1024u * 1024u)

/** Auxiliary tensors: besides the parameters, a file may hold tensors named "aux.<name>"
 *  that the runtime model does not use but the model's host does (the timbre VAE's latent
 *  basis, F32; the melody GAN's corpus phrase hashes, U64 and U32). At most GB_MODEL_MAX_AUX
 *  of them, GB_MODEL_AUX_MAX_BYTES in all, names of 1..GB_MODEL_AUX_NAME − 1 bytes after
 *  "aux."; any dtype of gb_safetensors.h; F32 and F64 values finite. gb_model_aux() hands out
 *  F32 ones as floats, gb_model_aux_get() any of them. */
#define GB_MODEL_MAX_AUX 8
#define GB_MODEL_AUX_NAME 48
#define GB_MODEL_AUX_MAX_BYTES (16u * 1024u * 1024u)
/** The prefix of auxiliary tensor names in a file. */
#define GB_MODEL_AUX_PREFIX "aux."

/** A loaded model file (opaque): the runtime model plus its description. */
typedef struct gb_model gb_model_t;

/** Load and validate a model file and build its runtime model (finalized, weights set).
 *
 *  @param path       the file
 *  @param max_batch  frames per forward of the runtime model: 1 .. GB_NN_MAX_BATCH, or 0 to
 *                    use the architecture's "max_batch" (1 if it has none)
 *  @param err        receives "PATH: what is wrong" on failure (may be NULL)
 *  @return the model, or NULL on failure (codes above). Never crashes on a bad file and never
 *          allocates more than the file's size plus GB_MODEL_MAX_BYTES.  [main] */
gb_model_t *gb_model_load(const char *path, int max_batch, gb_error_t *err);

/** As gb_model_load() from a file image in memory (copied as needed: the buffer may be freed
 *  when this returns). `name` is used in error messages in place of a path. [main] */
gb_model_t *gb_model_load_mem(const void *buf, size_t len, const char *name, int max_batch,
                              gb_error_t *err);

/** Free the model, including its runtime model unless it was taken. NULL-safe. [main] */
void gb_model_free(gb_model_t *m);

/** The runtime model (owned by m). [any] */
gb_nn_t *gb_model_nn(const gb_model_t *m) GB_RT;

/** Take the runtime model out: the caller owns it (gb_nn_free()), and gb_model_nn() returns
 *  NULL from now on. The description stays available. [main] */
gb_nn_t *gb_model_take_nn(gb_model_t *m);

/** The F32 auxiliary tensor "aux.<name>" (name without "aux."): its values (owned by m,
 *  row-major) and, when the pointers are non-NULL, its rank and shape (up to GB_ST_MAX_DIMS).
 *  NULL when the file has no such tensor or it is not F32 (gb_model_aux_get: any dtype). [any] */
const float *gb_model_aux(const gb_model_t *m, const char *name, int *ndim, int64_t *shape);

/** The file name (or the name given to gb_model_load_mem()). [any] */
const char *gb_model_name(const gb_model_t *m);

/** The card's "kind" (e.g. "timbre-vae-decoder"). [any] */
const char *gb_model_kind(const gb_model_t *m);

/** The model card as parsed JSON (borrowed; valid until gb_model_free()). [any] */
const json_t *gb_model_card(const gb_model_t *m);

/** The model card exactly as stored in the file. [any] */
const char *gb_model_card_json(const gb_model_t *m);

/** The architecture as parsed JSON (borrowed). [any] */
const json_t *gb_model_arch(const gb_model_t *m);

/** The architecture exactly as stored in the file. [any] */
const char *gb_model_arch_json(const gb_model_t *m);

/** Save a finalized runtime model with its model card (a JSON object, validated as by the
 *  loader) as a model file. The architecture is taken from nn (its max_batch included).
 *  Refuses non-finite weights, so every file written here loads. Written atomically (temp
 *  file + rename, see gb_st_save_f32()).
 *  @return 0, or GB_EINVAL (bad card or model), GB_ERANGE (NaN/Inf weight), GB_EIO,
 *          GB_ENOMEM with err set.  [main] */
int gb_model_save(const char *path, const gb_nn_t *nn, const char *card_json, gb_error_t *err);

/** An auxiliary tensor of a loaded model: data in host byte order, owned by the model. */
typedef struct gb_model_aux {
    const char *name;               /* without the prefix */
    gb_st_dtype_t dtype;
    int ndim;
    int64_t shape[GB_ST_MAX_DIMS];
    uint64_t count;                 /* elements */
    const void *data;
} gb_model_aux_t;

/** Find auxiliary tensor `name` (without "aux."), of any dtype. Returns 0 and fills out, or
 *  GB_EINVAL when the file has none of that name. [any] */
int gb_model_aux_get(const gb_model_t *m, const char *name, gb_model_aux_t *out);

/** As gb_model_save(), also writing n_aux F32 auxiliary tensors (names "aux.<name>", see
 *  above). [main] */
int gb_model_save_aux(const char *path, const gb_nn_t *nn, const char *card_json,
                      const gb_st_f32_t *aux, size_t n_aux, gb_error_t *err);

/** As gb_model_save() with n_aux auxiliary tensors of any dtype, each named WITHOUT the prefix
 *  (1..GB_MODEL_AUX_NAME − 1 bytes; the file gets "aux.<name>"). [main] */
int gb_model_save_aux_any(const char *path, const gb_nn_t *nn, const char *card_json,
                          const gb_st_tensor_t *aux, size_t n_aux, gb_error_t *err);

/** The architecture of a runtime model as JSON (the "gbac.arch" object of gb_model_save()).
 *  Caller owns the reference (json_decref()). NULL on no memory. [main] */
json_t *gb_model_arch_from_nn(const gb_nn_t *nn);

/** Build a finalized runtime model with zero weights from an architecture JSON string, with
 *  the loader's checks (`name` prefixes error messages; max_batch as for gb_model_load()).
 *  Trainers use it to create a model from a configuration. [main] */
gb_nn_t *gb_model_nn_from_arch(const char *arch_json, int max_batch, const char *name,
                               gb_error_t *err);

/** Rewrite the model file `in` as `out` (which may be the same path: the write is atomic)
 *  with every layer's weight matrices stored as t: F32 → BF16 rounds each weight to the
 *  nearest bfloat16 (gb_bf16.h), BF16 → F32 widens exactly; biases stay F32. The card is
 *  kept, with its "weights" key set to "f32" or "bf16".
 *  @return 0, or the codes of gb_model_load() and gb_model_save() with err set. [main] */
int gb_model_convert(const char *in, const char *out, gb_nn_wtype_t t, gb_error_t *err);

/** Check a model card JSON string as the loader and gb_model_save() do. Returns 0 or
 *  GB_EFORMAT with a message naming the key (prefixed by `name`). [any] */
int gb_model_check_card(const char *card_json, const char *name, gb_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
