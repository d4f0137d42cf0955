/*
 * The HTTP benchmark service in C: `POST /transform` with one JSON request
 * as the body answers one transformed JSON response; `GET /` answers a
 * small JSON greeting.
 *
 * Request:  {"id":7,"name":"ada","values":[1,2,3]}
 * Response: {"id":7,"name":"ADA","sum":6,"count":3}
 *
 * `reply_for` is the service; the transports around it are chosen by the
 * target: natively, one thread serves every keep-alive connection with
 * poll(2) on 0.0.0.0:$PORT (default 8080); built for WASI, wasi_http.c
 * exports it as a wasi:http/incoming-handler component.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "service.h"

static const char *after(const char *s, const char *key) {
    const char *p = strstr(s, key);
    return p ? p + strlen(key) : NULL;
}

/* Writes the reply body for one request into reply; returns its HTTP status. */
int reply_for(const char *method, const char *path, const char *body, char *reply, size_t cap) {
    if (strcmp(method, "GET") == 0 && strcmp(path, "/") == 0) {
        snprintf(reply, cap, "{\"service\":\"bench-http-c\"}\n");
        return 200;
    }
    if (strcmp(method, "POST") == 0 && strcmp(path, "/transform") == 0) {
        const char *p_id = after(body, "\"id\":"), *p_name = after(body, "\"name\":\""),
                   *p_vals = after(body, "\"values\":[");
        char name[256];
        size_t n = 0;
        long long id, sum = 0;
        int count = 0;
        if (!p_id || !p_name || !p_vals) {
            snprintf(reply, cap, "{\"error\":\"bad request\"}\n");
            return 400;
        }
        id = strtoll(p_id, NULL, 10);
        while (p_name[n] && p_name[n] != '"' && n + 1 < sizeof name) {
            name[n] = (char)toupper((unsigned char)p_name[n]);
            n++;
        }
        name[n] = '\0';
        for (const char *p = p_vals; *p && *p != ']';) {
            char *end;
            long long v = strtoll(p, &end, 10);
            if (end == p) break;
            sum += v;
            count++;
            p = end;
            while (*p == ' ' || *p == ',') p++;
        }
        snprintf(reply, cap, "{\"id\":%lld,\"name\":\"%s\",\"sum\":%lld,\"count\":%d}\n", id, name, sum, count);
        return 200;
    }
    snprintf(reply, cap, "not found\n");
    return 404;
}

#ifndef __wasi__
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CONNS 1024
#define BUF 16384

struct conn { int fd; size_t len; char in[BUF]; };
static struct conn *conns[MAX_CONNS];
static struct pollfd fds[MAX_CONNS + 1];

/* Writes the HTTP/1.1 answer to one request into out; returns its length. */
static int answer(const char *method, const char *path, const char *body, char *out, size_t cap) {
    char reply[512];
    int status = reply_for(method, path, body, reply, sizeof reply);
    return snprintf(out, cap, "HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %zu\r\n\r\n%s",
                    status, status == 200 ? "OK" : status == 400 ? "Bad Request" : "Not Found", strlen(reply), reply);
}

/* Answers every complete request buffered on c; -1 closes it. */
static int serve(struct conn *c) {
    char out[BUF];
    size_t used = 0;
    for (;;) {
        c->in[c->len] = '\0';
        char *head_end = strstr(c->in, "\r\n\r\n");
        if (!head_end) break;
        size_t body_len = 0;
        const char *cl = after(c->in, "content-length:");
        if (!cl) cl = after(c->in, "Content-Length:");
        if (cl && cl < head_end) body_len = strtoul(cl, NULL, 10);
        size_t total = (size_t)(head_end + 4 - c->in) + body_len;
        if (total >= BUF) return -1;
        if (c->len < total) break;
        char method[16] = {0}, path[256] = {0};
        if (sscanf(c->in, "%15s %255s", method, path) != 2) return -1;
        char body[BUF];
        memcpy(body, head_end + 4, body_len);
        body[body_len] = '\0';
        int n = answer(method, path, body, out + used, sizeof out - used);
        if (n <= 0 || (size_t)n >= sizeof out - used) return -1;
        used += (size_t)n;
        memmove(c->in, c->in + total, c->len - total);
        c->len -= total;
    }
    for (size_t off = 0; off < used;) {
        ssize_t w = write(c->fd, out + off, used - off);
        if (w <= 0) return -1;
        off += (size_t)w;
    }
    return 0;
}

int main(void) {
    const char *port = getenv("PORT");
    int one = 1, lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)atoi(port ? port : "8080"));
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(lfd, 128) != 0) {
        perror("listen");
        return 1;
    }
    for (;;) {
        int n = 0;
        fds[n].fd = lfd;
        fds[n++].events = POLLIN;
        for (int i = 0; i < MAX_CONNS; i++)
            if (conns[i]) { fds[n].fd = conns[i]->fd; fds[n++].events = POLLIN; }
        if (poll(fds, (nfds_t)n, -1) < 0) continue;
        if (fds[0].revents & POLLIN) {
            int fd = accept(lfd, NULL, NULL);
            if (fd >= 0) {
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                int i = 0;
                while (i < MAX_CONNS && conns[i]) i++;
                if (i == MAX_CONNS) close(fd);
                else { conns[i] = calloc(1, sizeof(struct conn)); conns[i]->fd = fd; }
            }
        }
        for (int k = 1; k < n; k++) {
            if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            for (int i = 0; i < MAX_CONNS; i++) {
                struct conn *c = conns[i];
                if (!c || c->fd != fds[k].fd) continue;
                ssize_t r = read(c->fd, c->in + c->len, BUF - 1 - c->len);
                if (r <= 0 || (c->len += (size_t)r, serve(c) != 0)) {
                    close(c->fd);
                    free(c);
                    conns[i] = NULL;
                }
                break;
            }
        }
    }
}
#endif
