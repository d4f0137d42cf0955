/*
 * The service as a wasi:http/incoming-handler component (built for WASI
 * only; natively this file is empty). The bindings are written by hand
 * against the canonical ABI of wasi:http 0.2 (wit/deps, the WIT files
 * wasmtime 48 ships), so the sample needs no binding generator: clang
 * compiles it for wasm32-wasi as a reactor, and wasm-component-ld (given
 * wit/ as the component type and the proxy adapter) makes the component.
 *
 * Layouts follow the canonical ABI on wasm32: a result or option is a
 * discriminant byte then its payload at the payload's alignment; a string
 * or list<u8> is (pointer, length); a resource is an i32 handle. Results
 * that do not fit one core value come back through a return area.
 */
#ifdef __wasi__
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "service.h"

#define HTTP(name) __attribute__((import_module("wasi:http/types@0.2.12"), import_name(name)))
#define STREAMS(name) __attribute__((import_module("wasi:io/streams@0.2.12"), import_name(name)))
#define IO_ERROR(name) __attribute__((import_module("wasi:io/error@0.2.12"), import_name(name)))

/* result<own<T>> and result<_, E> with E a plain enum. */
typedef struct { uint8_t is_err; int32_t handle; } handle_result;
/* option<string>, and the `method` variant (its last case carries a string). */
typedef struct { uint8_t tag; char *ptr; size_t len; } tagged_string;
/* result<list<u8>, stream-error>; stream-error is closed or last-operation-failed(own<error>). */
typedef struct {
    uint8_t is_err;
    union {
        struct { uint8_t *ptr; size_t len; } ok;
        struct { uint8_t tag; int32_t error; } err;
    } u;
} read_result;
/* result<_, stream-error>. */
typedef struct { uint8_t is_err; struct { uint8_t tag; int32_t error; } err; } write_result;
/* result<_, error-code>: error-code holds a u64, so its payload is 8-aligned;
 * 64 bytes covers its largest case. */
typedef struct { _Alignas(8) uint8_t is_err; uint8_t payload[63]; } finish_result;

HTTP("[method]incoming-request.method") extern void request_method(int32_t, tagged_string *);
HTTP("[method]incoming-request.path-with-query") extern void request_path(int32_t, tagged_string *);
HTTP("[method]incoming-request.consume") extern void request_consume(int32_t, handle_result *);
HTTP("[resource-drop]incoming-request") extern void request_drop(int32_t);
HTTP("[method]incoming-body.stream") extern void incoming_body_stream(int32_t, handle_result *);
HTTP("[resource-drop]incoming-body") extern void incoming_body_drop(int32_t);
HTTP("[constructor]fields") extern int32_t fields_new(void);
HTTP("[method]fields.append") extern void fields_append(int32_t, const char *, size_t, const char *, size_t, uint8_t *);
HTTP("[constructor]outgoing-response") extern int32_t response_new(int32_t headers);
HTTP("[method]outgoing-response.set-status-code") extern int32_t response_set_status(int32_t, int32_t);
HTTP("[method]outgoing-response.body") extern void response_body(int32_t, handle_result *);
HTTP("[method]outgoing-body.write") extern void outgoing_body_write(int32_t, handle_result *);
HTTP("[static]outgoing-body.finish") extern void outgoing_body_finish(int32_t body, int32_t has_trailers, int32_t trailers, finish_result *);
/* (param, result discriminant, then result<own<outgoing-response>, error-code> flattened: 7 values). */
HTTP("[static]response-outparam.set")
extern void outparam_set(int32_t param, int32_t is_err, int32_t response, int32_t, int64_t, int32_t, int32_t, int32_t, int32_t);
STREAMS("[method]input-stream.blocking-read") extern void input_read(int32_t, int64_t, read_result *);
STREAMS("[resource-drop]input-stream") extern void input_drop(int32_t);
STREAMS("[method]output-stream.blocking-write-and-flush") extern void output_write(int32_t, const char *, size_t, write_result *);
STREAMS("[resource-drop]output-stream") extern void output_drop(int32_t);
IO_ERROR("[resource-drop]error") extern void io_error_drop(int32_t);

/* The host allocates strings and lists it returns through this. */
__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *ptr, size_t old_size, size_t align, size_t new_size) {
    (void)old_size;
    (void)align; /* malloc's 16-byte alignment covers every canonical ABI type */
    return realloc(ptr, new_size ? new_size : 1);
}

#define BODY_MAX 16384

/* Reads the request body, at most BODY_MAX - 1 bytes, NUL-terminated. */
static void read_body(int32_t request, char *out) {
    size_t used = 0;
    handle_result body, stream;
    out[0] = '\0';
    request_consume(request, &body);
    if (body.is_err) return;
    incoming_body_stream(body.handle, &stream);
    if (!stream.is_err) {
        for (;;) {
            read_result r;
            input_read(stream.handle, BODY_MAX, &r);
            if (r.is_err) {
                if (r.u.err.tag == 0) io_error_drop(r.u.err.error);
                break;
            }
            size_t n = r.u.ok.len;
            if (n > BODY_MAX - 1 - used) n = BODY_MAX - 1 - used;
            memcpy(out + used, r.u.ok.ptr, n);
            used += n;
            free(r.u.ok.ptr);
        }
        out[used] = '\0';
        input_drop(stream.handle);
    }
    incoming_body_drop(body.handle);
}

static const char *method_name(const tagged_string *m, char *other, size_t cap) {
    static const char *const names[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};
    if (m->tag < 9) return names[m->tag];
    size_t n = m->len < cap - 1 ? m->len : cap - 1;
    memcpy(other, m->ptr, n);
    other[n] = '\0';
    free(m->ptr);
    return other;
}

__attribute__((export_name("wasi:http/incoming-handler@0.2.12#handle")))
void handle(int32_t request, int32_t response_out) {
    static char body[BODY_MAX];
    char other[16], path[256] = "/", reply[512];
    tagged_string m, p;
    request_method(request, &m);
    const char *method = method_name(&m, other, sizeof other);
    request_path(request, &p);
    if (p.tag) {
        size_t n = p.len < sizeof path - 1 ? p.len : sizeof path - 1;
        memcpy(path, p.ptr, n);
        path[n] = '\0';
        free(p.ptr);
    }
    read_body(request, body);
    request_drop(request);
    int status = reply_for(method, path, body, reply, sizeof reply);

    uint8_t appended[2];
    int32_t headers = fields_new();
    fields_append(headers, "content-type", 12, "application/json", 16, appended);
    int32_t response = response_new(headers);
    response_set_status(response, status);
    handle_result out_body, stream;
    response_body(response, &out_body);
    outparam_set(response_out, 0, response, 0, 0, 0, 0, 0, 0);
    if (out_body.is_err) return;
    outgoing_body_write(out_body.handle, &stream);
    if (!stream.is_err) {
        write_result w;
        /* One call writes at most 4096 bytes; a reply is at most 512. */
        output_write(stream.handle, reply, strlen(reply), &w);
        if (w.is_err && w.err.tag == 0) io_error_drop(w.err.error);
        output_drop(stream.handle);
    }
    finish_result f;
    outgoing_body_finish(out_body.handle, 0, 0, &f);
}
#endif
