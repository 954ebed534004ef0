/* fuzz_web_msg.c — libFuzzer target for the browser surface's WebSocket messages: any bytes
 * taken as one text message must be parsed into a message the OSC path table can take, or
 * refused with a reason starting "WebSocket message: " — never a crash. A parsed message
 * written back as JSON (gb_web_msg_format, as replies are) must be JSON that reads back with
 * the same path and as many arguments.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Built with -fsanitize=fuzzer when GBAC_FUZZ=ON (clang), and in every build linked with
 * replay.c, which runs it over the committed corpus (tests/fuzz/corpus/web/). */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gb_web_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static gb_web_msg_t m;
    gb_error_t err = {0};
    const int rc = gb_web_msg_parse((const char *)data, size, &m, &err);
    if (rc != GB_OK) {
        if (rc != GB_EFORMAT || strncmp(err.msg, "WebSocket message: ", 19) != 0)
            abort();
        return 0;
    }
    if (m.path[0] != '/' || m.argc < 0 || m.argc > GB_OSC_MAX_ARGS ||
        strlen(m.types) != (size_t)m.argc || m.id < -1 || m.id > GB_WEB_ID_MAX)
        abort();
    gb_osc_arg_t argv[GB_OSC_MAX_ARGS];
    gb_osc_msg_t om;
    gb_web_msg_view(&m, &om, argv);
    char *text = gb_web_msg_format(m.id, om.path, om.types, argv);
    if (!text)
        abort();
    json_t *back = json_loads(text, 0, NULL);
    if (!back || strcmp(json_string_value(json_object_get(back, "path")), m.path) != 0 ||
        json_array_size(json_object_get(back, "args")) != (size_t)m.argc)
        abort();
    json_decref(back);
    free(text);
    return 0;
}
