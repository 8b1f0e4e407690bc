/* SPDX-License-Identifier: MIT */
/*
 * Another preloaded library, as a user may have one (a malloc tracer, an
 * allocator): it interposes mmap(), mmap64() and malloc() too and counts the calls
 * that reach it, so the tests can show that libwolfram-merge.so before or
 * after it leaves both working.
 */

/* The interposers need mmap and mmap64 under their own names, which the
 * header merges into mmap64 when asked for a 64-bit off_t everywhere. */
#undef _FILE_OFFSET_BITS

#include <dlfcn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/macro.h"

/* What the tests ask through dlsym(RTLD_DEFAULT). */
unsigned neighbour_mmap_calls(void);
unsigned neighbour_malloc_calls(void);

static void *(*next_mmap)(void *, size_t, int, int, int, off_t);
static void *(*next_mmap64)(void *, size_t, int, int, int, off64_t);
static void *(*next_malloc)(size_t);
static atomic_uint mmap_calls, malloc_calls;
static __thread __attribute__((tls_model("initial-exec"))) bool resolving;

static void resolve(void) {
        if (next_malloc)
                return;
        resolving = true;
        next_mmap = (void *(*) (void *, size_t, int, int, int, off_t)) dlsym(RTLD_NEXT, "mmap");
        next_mmap64 = (void *(*) (void *, size_t, int, int, int, off64_t)) dlsym(RTLD_NEXT, "mmap64");
        next_malloc = (void *(*) (size_t)) dlsym(RTLD_NEXT, "malloc");
        resolving = false;
}

_public_ unsigned neighbour_mmap_calls(void) {
        return atomic_load(&mmap_calls);
}

_public_ unsigned neighbour_malloc_calls(void) {
        return atomic_load(&malloc_calls);
}

_public_ void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t offset) {
        if (resolving)
                return (void *) syscall(SYS_mmap, addr, len, prot, flags, fd, offset);
        resolve();
        atomic_fetch_add(&mmap_calls, 1);
        return next_mmap(addr, len, prot, flags, fd, offset);
}

_public_ void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t offset) {
        if (resolving)
                return (void *) syscall(SYS_mmap, addr, len, prot, flags, fd, offset);
        resolve();
        atomic_fetch_add(&mmap_calls, 1);
        return next_mmap64(addr, len, prot, flags, fd, offset);
}

_public_ void *malloc(size_t size) {
        if (resolving)
                return NULL;
        resolve();
        atomic_fetch_add(&malloc_calls, 1);
        return next_malloc(size);
}
