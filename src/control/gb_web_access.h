/* gb_web_access.h — who may use the browser surface, decided before anything is served: the
 * peer's address, the token, the Host and Origin headers, the file names a request may ask
 * for. Pure functions (no sockets), so each rule is tested on its own.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The rules (docs/web.md "Access"):
 *   - a connection from an address that is neither loopback nor inside an --http-allow
 *     network is closed before a byte is read or written;
 *   - a loopback peer is served without the token, but only when its Host header names the
 *     loopback (127.x.y.z, localhost, [::1]), so a web page elsewhere cannot reach gbac
 *     through a DNS name that resolves to 127.0.0.1 (DNS rebinding);
 *   - every other peer must present the token (query `token=` or cookie `gbac_token`);
 *   - a WebSocket handshake whose Origin header is present must come from the page's own
 *     origin (http://HOST as the Host header says), so another site open in the same browser
 *     cannot drive gbac.
 */
#ifndef GB_WEB_ACCESS_H
#define GB_WEB_ACCESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "gb_osc_server.h" /* gb_cidr_t */

#ifdef __cplusplus
extern "C" {
#endif

#define GB_WEB_TOKEN_LEN 32 /* hex characters (128 random bits) */

/** Whether the address is loopback: 127.0.0.0/8, ::1, or ::ffff:127.x.y.z. [any] */
int gb_web_addr_loopback(const struct sockaddr *sa, socklen_t len);

/** Whether a peer may connect at all: loopback, or an IPv4 address (also IPv4-mapped IPv6)
 *  inside one of the n networks. [any] */
int gb_web_addr_allowed(const struct sockaddr *sa, socklen_t len, const gb_cidr_t *allow,
                        int n);

/** Whether a Host header value names the loopback: "127.0.0.1", "127.0.0.1:8080",
 *  "localhost:8080", "[::1]:8080" (case-insensitive for localhost). [any] */
int gb_web_host_local(const char *host);

/** Whether an Origin header fits the Host header: NULL or empty origin (not a browser's
 *  cross-site request) is fine; else it must be "http://" + host exactly (case-insensitive).
 *  [any] */
int gb_web_origin_ok(const char *origin, const char *host);

/** Compare a presented token with the server's in constant time (for equal lengths).
 *  [any] */
int gb_web_token_ok(const char *given, const char *token);

/** The value of `name` in a Cookie header ("a=1; gbac_token=abc"), copied into out (cap
 *  bytes); 0, or -1 when absent or too long. [any] */
int gb_web_cookie_get(const char *cookies, const char *name, char *out, size_t cap);

/** Fill out (GB_WEB_TOKEN_LEN + 1 bytes) with a fresh random token (getrandom). 0, or -1
 *  when the system has no randomness to give. [main] */
int gb_web_token_new(char *out);

/** Whether a file name may be served: 1..64 characters of [A-Za-z0-9_.-], not starting with
 *  '.', with a known extension; its MIME type into *mime. [any] */
int gb_web_file_ok(const char *name, const char **mime);

#ifdef __cplusplus
}
#endif
#endif
