/*
 * The stdio benchmark service: one JSON request per line on stdin, one
 * transformed JSON response per line on stdout.
 *
 * Request:  {"id":7,"name":"ada","values":[1,2,3]}
 * Response: {"id":7,"name":"ADA","sum":6,"count":3}
 *
 * Plain read(2)/write(2) with its own buffers, so the program flushes exactly
 * when no more input is buffered: at once for an interactive caller, in
 * batches under load. Builds unchanged with gcc -static and clang --target=wasm32-wasi.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IN_CAP (64 * 1024)
#define OUT_CAP (64 * 1024)
#define MAX_NAME 256

static char in_buf[IN_CAP];
static char out_buf[OUT_CAP];
static size_t out_len;

static int flush_out(void) {
    size_t off = 0;
    while (off < out_len) {
        ssize_t n = write(1, out_buf + off, out_len - off);
        if (n <= 0) return -1;
        off += (size_t)n;
    }
    out_len = 0;
    return 0;
}

static int emit(const char *s, size_t n) {
    if (out_len + n > OUT_CAP && flush_out() != 0) return -1;
    memcpy(out_buf + out_len, s, n);
    out_len += n;
    return 0;
}

/* Returns a pointer just past `key` in the line, or NULL. */
static const char *after(const char *line, const char *key) {
    const char *p = strstr(line, key);
    return p ? p + strlen(key) : NULL;
}

static int transform(const char *line, char *reply, size_t cap) {
    const char *p_id = after(line, "\"id\":");
    const char *p_name = after(line, "\"name\":\"");
    const char *p_vals = after(line, "\"values\":[");
    if (!p_id || !p_name || !p_vals) goto bad;

    char *end;
    long long id = strtoll(p_id, &end, 10);
    if (end == p_id) goto bad;

    char name[MAX_NAME];
    size_t n = 0;
    while (p_name[n] && p_name[n] != '"') {
        if (n + 1 >= MAX_NAME) goto bad;
        name[n] = (char)toupper((unsigned char)p_name[n]);
        n++;
    }
    if (p_name[n] != '"') goto bad;
    name[n] = '\0';

    long long sum = 0;
    int count = 0;
    const char *p = p_vals;
    while (*p == ' ') p++;
    if (*p != ']') {
        for (;;) {
            long long v = strtoll(p, &end, 10);
            if (end == p) goto bad;
            sum += v;
            count++;
            p = end;
            while (*p == ' ') p++;
            if (*p == ']') break;
            if (*p != ',') goto bad;
            p++;
        }
    }
    return snprintf(reply, cap, "{\"id\":%lld,\"name\":\"%s\",\"sum\":%lld,\"count\":%d}\n", id, name, sum, count);
bad:
    return snprintf(reply, cap, "{\"error\":\"bad request\"}\n");
}

int main(void) {
    size_t len = 0;
    char reply[MAX_NAME + 128];
    for (;;) {
        ssize_t got = read(0, in_buf + len, IN_CAP - 1 - len);
        if (got <= 0) break;
        len += (size_t)got;
        size_t start = 0;
        char *nl;
        while ((nl = memchr(in_buf + start, '\n', len - start)) != NULL) {
            *nl = '\0';
            int r = transform(in_buf + start, reply, sizeof reply);
            if (r > 0 && emit(reply, (size_t)r) != 0) return 1;
            start = (size_t)(nl - in_buf) + 1;
        }
        memmove(in_buf, in_buf + start, len - start);
        len -= start;
        if (len == IN_CAP - 1) len = 0; /* an over-long line is dropped */
        /* All complete lines of this read are answered: send them now. */
        if (flush_out() != 0) return 1;
    }
    if (len > 0) {
        in_buf[len] = '\0';
        int r = transform(in_buf, reply, sizeof reply);
        if (r > 0) emit(reply, (size_t)r);
    }
    return flush_out() == 0 ? 0 : 1;
}
