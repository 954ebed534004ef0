/* test_nn_cost.c — the cost of gb_nn_forward does not depend on the input values: counts the
 * instructions it executes for a model with every layer kind on classes of inputs (zeros,
 * normal, ±1e30, denormals, NaN, ±inf, alternating signs).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two ways to count, because this machine has no hardware performance counters:
 *
 *   test_nn_cost CLASS N [forward|control]
 *     runs N forwards on one class, for tests/nn_cost.sh to run under callgrind
 *     (--toggle-collect=gb_nn_forward, or gb_cost_control: a control that calls libm's branchy
 *     tanhf and shows the method sees value-dependent code). The family comes from GBAC_SIMD
 *     as in production (gb_nn_finalize → gb_simd_default). Prints "simd=NAME class=CLASS ...".
 *     valgrind 3.19 cannot run AVX-512 code, hence:
 *
 *   test_nn_cost --ptrace FAMILY[,FAMILY...]
 *     counts natively, any family the CPU runs (AVX-512 included): a child process stops
 *     itself (SIGSTOP) right before and right after one gb_nn_forward and the parent
 *     single-steps it in between with ptrace. raise()'s own instructions are in every count
 *     alike. Single-stepping costs ~20 µs per instruction, so this mode is for the SIMD
 *     families (~20k instructions per forward of the test model), not scalar (~400k).
 *     Exits 1 if the counts of one family differ between classes, or the control does not.
 *
 *   GB_TEST_WEIGHTS=bf16 in the environment gives the model bf16 weight matrices (both modes).
 */
#include <float.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gb_test_util.h"

enum { GB_COST_IN = 7, GB_COST_BATCH = 4 };

static const char *const gb_classes[] = {"zeros", "normal", "huge", "tiny",
                                         "nan",   "inf",    "alternating"};
#define GB_N_CLASSES (int)(sizeof gb_classes / sizeof gb_classes[0])

/* Fresh values of the class for every step, so the state also sees varied data. */
static void gb_class_fill(int cls, gb_rng_t *rng, float *x, int n, int step)
{
    for (int i = 0; i < n; i++) {
        float sign = gb_rng_u64(rng) & 1 ? 1.0f : -1.0f;
        switch (cls) {
        case 0: x[i] = 0.0f; break;
        case 1: x[i] = (float)gb_rng_normal(rng); break;
        case 2: x[i] = sign * (float)gb_rng_uniform(rng, 1e29, 1e30); break;
        case 3: x[i] = sign * (float)gb_rng_uniform(rng, 1e-45, 1e-39); break; /* denormals */
        case 4: x[i] = NAN; break;
        case 5: x[i] = sign * INFINITY; break;
        default: /* alternating signs */
            x[i] = ((i + step) & 1 ? 1.0f : -1.0f) * (float)gb_rng_uniform(rng, 0.5, 50);
            break;
        }
    }
}

/* Deliberately value-dependent: glibc's tanhf takes different paths for 0, small, medium and
 * huge |x|. Called through a volatile pointer so that it is neither inlined nor cloned and
 * callgrind finds it by name. */
float gb_cost_control(const float *x, int n);
float gb_cost_control(const float *x, int n)
{
    float s = 0;
    for (int i = 0; i < n; i++)
        s += tanhf(x[i]);
    return s;
}

static float (*volatile gb_cost_control_fn)(const float *, int) = gb_cost_control;

static int gb_class_parse(const char *name)
{
    for (int c = 0; c < GB_N_CLASSES; c++)
        if (strcmp(name, gb_classes[c]) == 0)
            return c;
    return -1;
}

static int gb_cost_model(gb_tmodel_t *tm)
{
    gb_rng_t rng = gb_rng_seed(42); /* the same weights for every class */
    gb_tlayer_t layers[GB_TEST_MAX_LAYERS];
    const int nl = gb_tl_every_kind(layers);
    /* GB_TEST_WEIGHTS=bf16: the same model with bf16 weight matrices */
    const char *wt = getenv("GB_TEST_WEIGHTS");
    const gb_nn_wtype_t t = wt && strcmp(wt, "bf16") == 0 ? GB_NN_WTYPE_BF16 : GB_NN_WTYPE_F32;
    return gb_tmodel_build_wt(tm, GB_COST_IN, GB_COST_BATCH, layers, nl, &rng, 1.0, 0.5, t);
}

/* ------------------------------------------------------------------ callgrind probe */

static int gb_run_probe(const char *cls_name, const char *n_str, const char *mode)
{
    const int cls = gb_class_parse(cls_name), n = atoi(n_str);
    const int control = mode && strcmp(mode, "control") == 0;
    if (cls < 0 || n < 0) {
        fprintf(stderr, "test_nn_cost: unknown class '%s' or bad N '%s'\n", cls_name, n_str);
        return 2;
    }
    gb_denormals_off(); /* as the audio thread does */
    gb_tmodel_t tm;
    if (gb_cost_model(&tm) != 0)
        return 1; /* the message is on stderr (e.g. a bad GBAC_SIMD) */
    gb_rng_t data = gb_rng_seed(7);
    float x[GB_COST_BATCH * GB_COST_IN], y[GB_COST_BATCH * 5];
    double check = 0;
    for (int step = 0; step < n; step++) {
        gb_class_fill(cls, &data, x, GB_COST_BATCH * GB_COST_IN, step);
        if (control) {
            check += gb_cost_control_fn(x, GB_COST_BATCH * GB_COST_IN);
        } else {
            gb_nn_forward(tm.nn, x, y, GB_COST_BATCH);
            for (int k = 0; k < GB_COST_BATCH * 5; k++)
                check += y[k];
        }
    }
    printf("simd=%s class=%s n=%d mode=%s weights=%s checksum=%g\n",
           gb_simd_name(gb_nn_simd(tm.nn)), cls_name, n, control ? "control" : "forward",
           gb_nn_wtype_name(tm.wtype), check);
    gb_tmodel_free(&tm);
    return 0;
}

/* ------------------------------------------------------------------ ptrace single-step */

enum { GB_WARMUP = 3, GB_TRACED = 1 }; /* untraced steps first, so the state holds the class */

/* Child: build, warm up, then for each traced step stop, forward (or control), stop. */
static void gb_traced_child(gb_simd_t simd, int cls, int control)
{
    gb_denormals_off();
    gb_tmodel_t tm;
    if (gb_cost_model(&tm) != 0 || gb_nn_set_simd(tm.nn, simd, NULL) != 0)
        _exit(3);
    gb_rng_t data = gb_rng_seed(7);
    float x[GB_COST_BATCH * GB_COST_IN], y[GB_COST_BATCH * 5];
    volatile float sink = 0;
    if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0)
        _exit(4);
    for (int step = 0; step < GB_WARMUP + GB_TRACED; step++) {
        gb_class_fill(cls, &data, x, GB_COST_BATCH * GB_COST_IN, step);
        const int traced = step >= GB_WARMUP;
        if (traced)
            raise(SIGSTOP);
        if (control)
            sink += gb_cost_control_fn(x, GB_COST_BATCH * GB_COST_IN);
        else
            gb_nn_forward(tm.nn, x, y, GB_COST_BATCH);
        if (traced)
            raise(SIGSTOP);
    }
    _exit(sink == 12345.0f ? 5 : 0); /* use the result so nothing is optimised away */
}

/* Instructions of each traced step of one child; returns 0 or an error message. */
static const char *gb_trace(gb_simd_t simd, int cls, int control, long counts[GB_TRACED])
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return "fork failed";
    if (pid == 0)
        gb_traced_child(simd, cls, control);
    int st = 0;
    for (int t = 0; t < GB_TRACED; t++) {
        /* run freely to the SIGSTOP before the step */
        for (;;) {
            if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st)) {
                if (WIFEXITED(st) && WEXITSTATUS(st) == 4)
                    return "ptrace(PTRACE_TRACEME) is not permitted here";
                return "the traced child ended early (model build or set_simd failed)";
            }
            if (WSTOPSIG(st) == SIGSTOP)
                break;
            ptrace(PTRACE_CONT, pid, NULL, (void *)(long)WSTOPSIG(st));
        }
        long n = 0;
        if (ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL) != 0) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return "ptrace(PTRACE_SINGLESTEP) failed";
        }
        for (;;) {
            if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st))
                return "the traced child ended while single-stepping";
            if (WSTOPSIG(st) == SIGSTOP)
                break; /* the stop after the step */
            if (WSTOPSIG(st) != SIGTRAP) {
                kill(pid, SIGKILL);
                waitpid(pid, &st, 0);
                return "the traced child got an unexpected signal";
            }
            n++;
            ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL);
        }
        counts[t] = n;
        ptrace(PTRACE_CONT, pid, NULL, NULL); /* swallow the SIGSTOP */
    }
    for (;;) {
        if (waitpid(pid, &st, 0) != pid)
            break;
        if (WIFEXITED(st) || WIFSIGNALED(st))
            break;
        ptrace(PTRACE_CONT, pid, NULL, NULL);
    }
    return NULL;
}

static int gb_run_ptrace(const char *families)
{
    int failed = 0, traced_families = 0;
    char list[128];
    snprintf(list, sizeof list, "%s", families);
    for (char *save = NULL, *name = strtok_r(list, ",", &save); name;
         name = strtok_r(NULL, ",", &save)) {
        gb_simd_t simd;
        if (gb_simd_parse(name, &simd) != 0) {
            fprintf(stderr, "FAIL: unknown kernel family '%s'\n", name);
            return 2;
        }
        if (!gb_simd_available(simd)) {
            printf("ptrace %s: not available on this CPU, not counted\n", name);
            continue;
        }
        traced_families++;
        long ref = -1;
        int differs = 0;
        printf("ptrace %s, instructions of forward #%d:", name, GB_WARMUP + 1);
        for (int c = 0; c < GB_N_CLASSES; c++) {
            long counts[GB_TRACED];
            const char *e = gb_trace(simd, c, 0, counts);
            if (e) {
                fprintf(stderr, "\nFAIL: %s (%s, %s)\n", e, name, gb_classes[c]);
                return 1;
            }
            printf(" %s=%ld", gb_classes[c], counts[0]);
            for (int t = 0; t < GB_TRACED; t++) {
                if (ref < 0)
                    ref = counts[t];
                if (counts[t] != ref)
                    differs = 1;
                if (t > 0)
                    printf("/%ld", counts[t]);
            }
        }
        printf("\n");
        if (ref <= 0) {
            fprintf(stderr, "FAIL: %s: no instructions counted\n", name);
            failed = 1;
        }
        if (differs) {
            fprintf(stderr, "FAIL: %s: the instruction count of gb_nn_forward depends on the "
                            "input values\n", name);
            failed = 1;
        }
    }
    /* Control: the method does see value-dependent code. */
    long cz[GB_TRACED], ch[GB_TRACED];
    const char *e = gb_trace(GB_SIMD_SCALAR, 0, 1, cz);
    if (!e)
        e = gb_trace(GB_SIMD_SCALAR, 2, 1, ch);
    if (e) {
        fprintf(stderr, "FAIL: %s (control)\n", e);
        return 1;
    }
    printf("ptrace control (libm tanhf): zeros=%ld huge=%ld\n", cz[0], ch[0]);
    if (cz[0] == ch[0]) {
        fprintf(stderr, "FAIL: control: same count for tanhf on different inputs\n");
        failed = 1;
    }
    if (traced_families == 0) {
        fprintf(stderr, "FAIL: none of the families '%s' is available here\n", families);
        failed = 1;
    }
    return failed;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--ptrace") == 0)
        return gb_run_ptrace(argv[2]);
    if (argc < 3) {
        fprintf(stderr, "usage: %s CLASS N [forward|control]\n"
                        "       %s --ptrace FAMILY[,FAMILY...]\n", argv[0], argv[0]);
        return 2;
    }
    return gb_run_probe(argv[1], argv[2], argc > 3 ? argv[3] : NULL);
}
