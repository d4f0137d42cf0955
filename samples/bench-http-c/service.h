/* The service itself, shared by the native server and the wasi:http component. */
#ifndef BENCH_HTTP_C_SERVICE_H
#define BENCH_HTTP_C_SERVICE_H
#include <stddef.h>

/* Writes the reply body for one request into reply; returns its HTTP status. */
int reply_for(const char *method, const char *path, const char *body, char *reply, size_t cap);

#endif
