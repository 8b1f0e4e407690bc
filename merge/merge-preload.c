/* SPDX-License-Identifier: MIT */
/*
 * libwolfram-merge.so: what wolfram-merge preloads where the kernel has no
 * PR_SET_MEMORY_MERGE. It marks the private anonymous memory of the process
 * MADV_MERGEABLE, which is all KSM needs to scan it:
 *
 *  - when loaded, every such mapping that exists: the brk heap, the stack,
 *    what was mapped before;
 *  - mmap() and mmap64() calls that go through the dynamic linker: the
 *    program's own, other libraries', other allocators' (jemalloc, JITs);
 *  - glibc's malloc, whose mmap, brk and mprotect calls stay inside libc and
 *    never reach an interposer: after an allocation the chunk's header tells
 *    where the chunk lives, and that mapping, the new top of the brk heap or
 *    the thread arena's heap is marked. From another malloc only large
 *    allocations are marked, as they are made.
 *
 * A mark is only a hint to KSM: a page marked by mistake is merged or not,
 * never changed. So every madvise() error is ignored and errno preserved.
 * The real functions come from dlsym(RTLD_NEXT), which keeps libraries
 * preloaded before or after this one working; only the interposers are
 * exported.
 */

/* The interposers need mmap and mmap64 under their own names, which the
 * header merges into mmap64 when asked for a 64-bit off_t everywhere. */
#undef _FILE_OFFSET_BITS

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/macro.h"

/* Thread-local without a call into the dynamic linker, which may allocate:
 * a preloaded library is in the static TLS block. */
#define _thread_local_ __thread __attribute__((tls_model("initial-exec")))

/* glibc's chunk header: two words before the pointer malloc returns, the
 * size with three flags in its low bits; an mmapped chunk keeps in the first
 * word how far its mapping starts before it. */
#define CHUNK_HEADER_BYTES (2 * sizeof(size_t))
#define CHUNK_IS_MMAPPED 0x2
#define CHUNK_NON_MAIN_ARENA 0x4
#define CHUNK_FLAGS 0x7

/* glibc maps each heap of a thread arena at a multiple of its largest size,
 * 2 * DEFAULT_MMAP_THRESHOLD_MAX: 64 MiB with 64-bit longs. */
#define ARENA_HEAP_MAX_BYTES ((uintptr_t) 2 * 4 * 1024 * 1024 * sizeof(long))

/* After a thread allocated this much, the heap it allocates from is marked
 * again: glibc may have trimmed it and grown it anew, or dropped a thread
 * arena's heap and mapped another in its place. */
#define REMARK_AFTER_BYTES ((size_t) 16 << 20)

/* A thread looks where its chunks live after it allocated this much, and at
 * every allocation this large. A heap grows in steps of 128 KiB at least, so
 * no more than this is in use unmarked for a while, and most calls cost an
 * addition. */
#define CHECK_AFTER_BYTES ((size_t) 64 << 10)

/* From a malloc that is not glibc's (or glibc's behind a wrapper preloaded
 * after us), allocations this large are marked page by page: most such
 * allocators map through our mmap() and are marked already, and a large
 * chunk of glibc's is a mapping of its own. glibc's M_MMAP_THRESHOLD starts
 * at this size. */
#define LARGE_ALLOCATION_BYTES ((size_t) 128 << 10)

typedef void *(*MmapFunc)(void *, size_t, int, int, int, off_t);
typedef void *(*MallocFunc)(size_t);
typedef void *(*CallocFunc)(size_t, size_t);
typedef void *(*ReallocFunc)(void *, size_t);
typedef int (*PosixMemalignFunc)(void **, size_t, size_t);
typedef void *(*MemalignFunc)(size_t, size_t);

static struct {
        MmapFunc mmap, mmap64;
        MallocFunc malloc, valloc, pvalloc;
        CallocFunc calloc;
        ReallocFunc realloc;
        PosixMemalignFunc posix_memalign;
        MemalignFunc memalign, aligned_alloc;
        /* All of the malloc family is glibc's, so chunks have its headers. */
        bool glibc_malloc;
} next;

static pthread_once_t next_once = PTHREAD_ONCE_INIT;
/* Set once next is filled in: spares every call the call of pthread_once(). */
static atomic_bool next_resolved;
static uintptr_t page_size;

/* Set while this thread is inside dlsym(), which may allocate or map. */
static _thread_local_ bool resolving;

/* The brk heap: where it starts, and how far it was marked. Zero until the
 * constructor looked at the mappings. */
static _Atomic uintptr_t brk_start, brk_marked_end;

static _thread_local_ uintptr_t thread_arena_heap;
static _thread_local_ size_t thread_bytes_since_mark;
/* Full at the start, so that a thread's first allocation is looked at: it
 * is the one that finds the thread its arena. */
static _thread_local_ size_t thread_bytes_since_check = CHECK_AFTER_BYTES;

#ifdef __GLIBC__
/* glibc's own names of its allocator, exported to let replacements call it. */
extern void *__libc_malloc(size_t size);
#endif

static void mark_mergeable(uintptr_t start, uintptr_t end) {
        int saved_errno = errno;

        start &= ~(page_size - 1);
        end = (end + page_size - 1) & ~(page_size - 1);
        if (end > start)
                (void) madvise((void *) start, end - start, MADV_MERGEABLE);
        errno = saved_errno;
}

static bool is_private_anonymous(int flags) {
        /* MAP_SHARED_VALIDATE has both bits; hugetlb memory KSM cannot take. */
        return (flags & (MAP_ANONYMOUS | MAP_PRIVATE | MAP_SHARED | MAP_HUGETLB)) ==
               (MAP_ANONYMOUS | MAP_PRIVATE);
}

/* What the mmap interposers use while dlsym() has not told where the real
 * mmap is: another preloaded allocator may map memory from inside dlsym(). */
static void *raw_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t offset) {
#ifdef SYS_mmap2
        return (void *) syscall(SYS_mmap2, addr, len, prot, flags, fd, (long) (offset / 4096));
#else
        return (void *) syscall(SYS_mmap, addr, len, prot, flags, fd, offset);
#endif
}

static bool same_object(const void *a, const void *b) {
        Dl_info info_a, info_b;

        if (dladdr(a, &info_a) == 0 || dladdr(b, &info_b) == 0)
                return false;
        return info_a.dli_fbase == info_b.dli_fbase;
}

static void *next_symbol(const char *name) {
        void *p = dlsym(RTLD_NEXT, name);

        if (!p) {
                /* Without the function the process cannot go on; say why
                 * rather than crash somewhere else. */
                static const char prefix[] = "libwolfram-merge: Failed to find the next ";
                (void) !write(STDERR_FILENO, prefix, sizeof(prefix) - 1);
                (void) !write(STDERR_FILENO, name, strlen(name));
                (void) !write(STDERR_FILENO, "()\n", 3);
                abort();
        }
        return p;
}

/* Runs at the first call of an interposer or in the constructor, whichever
 * comes first: before a second thread can exist, since creating one
 * allocates. So dladdr() cannot wait here on a lock another thread holds. */
static void resolve_next(void) {
        resolving = true;
        page_size = (uintptr_t) sysconf(_SC_PAGESIZE);
        next.mmap = (MmapFunc) next_symbol("mmap");
        next.mmap64 = (MmapFunc) next_symbol("mmap64");
        next.malloc = (MallocFunc) next_symbol("malloc");
        next.calloc = (CallocFunc) next_symbol("calloc");
        next.realloc = (ReallocFunc) next_symbol("realloc");
        next.posix_memalign = (PosixMemalignFunc) next_symbol("posix_memalign");
        next.memalign = (MemalignFunc) next_symbol("memalign");
        next.aligned_alloc = (MemalignFunc) next_symbol("aligned_alloc");
        next.valloc = (MallocFunc) next_symbol("valloc");
        next.pvalloc = (MallocFunc) next_symbol("pvalloc");
#ifdef __GLIBC__
        /* A malloc preloaded after us (jemalloc, tcmalloc) maps through our
         * mmap; only glibc's needs its chunk headers read. */
        next.glibc_malloc = true;
        const void *family[] = { next.malloc,   next.calloc,        next.realloc, next.posix_memalign,
                                 next.memalign, next.aligned_alloc, next.valloc,  next.pvalloc };
        for (size_t i = 0; i < ELEMENTSOF(family); i++)
                if (!same_object(family[i], (const void *) __libc_malloc))
                        next.glibc_malloc = false;
#endif
        resolving = false;
        atomic_store_explicit(&next_resolved, true, memory_order_release);
}

/* False while this thread is inside dlsym() for us: the caller must then do
 * without the next function. */
static bool resolve(void) {
        if (atomic_load_explicit(&next_resolved, memory_order_acquire))
                return true;
        if (resolving)
                return false;
        (void) pthread_once(&next_once, resolve_next);
        return true;
}

/* The brk heap grew (mark the new top), shrank (remember it), or is due to
 * be marked again whole. */
static void note_brk_heap(uintptr_t chunk, size_t size) {
        uintptr_t start = atomic_load_explicit(&brk_start, memory_order_relaxed);
        uintptr_t marked = atomic_load_explicit(&brk_marked_end, memory_order_relaxed);
        uintptr_t end;

        if (marked == 0)
                return;
        /* The common case, and the fast one: the chunk lies in what is
         * marked. One that reaches past it is what a grown heap hands out
         * first. */
        if (chunk >= start && chunk + CHUNK_HEADER_BYTES + size <= marked &&
            thread_bytes_since_mark < REMARK_AFTER_BYTES)
                return;

        end = (uintptr_t) sbrk(0);
        if (end == (uintptr_t) -1)
                return;
        if (chunk < start || chunk >= end) {
                /* glibc's main arena falls back to mmap() where brk cannot
                 * grow: such a chunk is in a mapping of its own. */
                mark_mergeable(chunk, chunk + CHUNK_HEADER_BYTES + size);
                return;
        }
        if (end > marked)
                mark_mergeable(marked, end);
        if (end != marked)
                atomic_store_explicit(&brk_marked_end, end, memory_order_relaxed);
        if (thread_bytes_since_mark >= REMARK_AFTER_BYTES) {
                mark_mergeable(start, end);
                thread_bytes_since_mark = 0;
        }
}

/* Marks where a chunk the next malloc just returned lives, unless it is
 * known to be marked already. */
static __attribute__((noinline)) void note_allocation_slow(void *p, size_t size, size_t bytes_since_check) {
        uintptr_t chunk, header;

        if (!next.glibc_malloc) {
                if (size >= LARGE_ALLOCATION_BYTES)
                        mark_mergeable((uintptr_t) p, (uintptr_t) p + size);
                return;
        }

        chunk = (uintptr_t) p - CHUNK_HEADER_BYTES;
        header = ((const size_t *) chunk)[1];
        if (header & CHUNK_IS_MMAPPED) {
                size_t before = ((const size_t *) chunk)[0];
                mark_mergeable(chunk - before, chunk + (header & ~(uintptr_t) CHUNK_FLAGS));
                return;
        }

        thread_bytes_since_mark += bytes_since_check;
        if (header & CHUNK_NON_MAIN_ARENA) {
                uintptr_t heap = chunk & ~(ARENA_HEAP_MAX_BYTES - 1);

                if (heap != thread_arena_heap || thread_bytes_since_mark >= REMARK_AFTER_BYTES) {
                        /* The whole reservation, the inaccessible part
                         * included: glibc grows a heap with mprotect(),
                         * which keeps the mark. */
                        mark_mergeable(heap, heap + ARENA_HEAP_MAX_BYTES);
                        thread_arena_heap = heap;
                        thread_bytes_since_mark = 0;
                }
                return;
        }
        note_brk_heap(chunk, size);
}

/* Most calls only count: see CHECK_AFTER_BYTES. */
static inline void note_allocation(void *p, size_t size) {
        size_t n;

        if (!p)
                return;
        n = thread_bytes_since_check + size;
        if (n < CHECK_AFTER_BYTES) {
                thread_bytes_since_check = n;
                return;
        }
        thread_bytes_since_check = 0;
        note_allocation_slow(p, size, n);
}

static uintptr_t parse_hex(const char **p, const char *end) {
        uintptr_t v = 0;

        for (; *p < end; (*p)++) {
                char c = **p;
                if (c >= '0' && c <= '9')
                        v = v * 16 + (uintptr_t) (c - '0');
                else if (c >= 'a' && c <= 'f')
                        v = v * 16 + (uintptr_t) (c - 'a' + 10);
                else
                        break;
        }
        return v;
}

/* One line of /proc/self/maps: "start-end perms offset dev inode [name]".
 * Marks private anonymous memory: no inode, no name or one of the names the
 * kernel gives such memory. */
static void mark_maps_line(const char *line, const char *end) {
        const char *p = line, *perms, *name;
        uintptr_t start, stop;
        unsigned field;

        start = parse_hex(&p, end);
        if (p >= end || *p != '-')
                return;
        p++;
        stop = parse_hex(&p, end);
        if (p >= end || *p != ' ')
                return;
        perms = ++p;
        if (end - perms < 4 || perms[3] != 'p')
                return;

        /* Skip perms, offset and dev; then the inode must be 0. */
        for (field = 0; field < 3; field++) {
                p = memchr(p, ' ', (size_t) (end - p));
                if (!p)
                        return;
                p++;
        }
        if (p >= end || *p != '0' || (p + 1 < end && p[1] != ' '))
                return;
        for (name = p + 1; name < end && *name == ' '; name++)
                ;

        if (name == end) {
                mark_mergeable(start, stop);
                return;
        }
        if ((size_t) (end - name) == strlen("[heap]") && memcmp(name, "[heap]", strlen("[heap]")) == 0) {
                atomic_store_explicit(&brk_start, start, memory_order_relaxed);
                atomic_store_explicit(&brk_marked_end, stop, memory_order_relaxed);
                mark_mergeable(start, stop);
                return;
        }
        if (((size_t) (end - name) == strlen("[stack]") &&
             memcmp(name, "[stack]", strlen("[stack]")) == 0) ||
            ((size_t) (end - name) > strlen("[anon:") && memcmp(name, "[anon:", strlen("[anon:")) == 0))
                mark_mergeable(start, stop);
}

/* Marks what was mapped before the library was loaded, reading the maps
 * with read(2) into the stack: fopen() would call into malloc. */
static void mark_existing_mappings(void) {
        _cleanup_close_ int fd = -EBADF;
        char buf[4096];
        size_t fill = 0;
        bool overlong = false;
        uintptr_t brk_now = (uintptr_t) sbrk(0);

        fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
        if (fd >= 0)
                for (;;) {
                        ssize_t n = read(fd, buf + fill, sizeof(buf) - fill);
                        char *line = buf, *nl;

                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n <= 0)
                                break;
                        fill += (size_t) n;

                        while ((nl = memchr(line, '\n', fill - (size_t) (line - buf)))) {
                                /* The tail of a line too long for the buffer:
                                 * a file's path, never anonymous memory. */
                                if (!overlong)
                                        mark_maps_line(line, nl);
                                overlong = false;
                                line = nl + 1;
                        }
                        fill -= (size_t) (line - buf);
                        if (fill == sizeof(buf)) {
                                overlong = true;
                                fill = 0;
                        } else
                                memmove(buf, line, fill);
                }

        /* No [heap] yet: it will start at the current break. */
        if (atomic_load_explicit(&brk_marked_end, memory_order_relaxed) == 0 && brk_now != (uintptr_t) -1) {
                atomic_store_explicit(&brk_start, brk_now, memory_order_relaxed);
                atomic_store_explicit(&brk_marked_end, brk_now, memory_order_relaxed);
        }
}

__attribute__((constructor)) static void merge_preload_init(void) {
        if (!resolve())
                return;
        mark_existing_mappings();
}

_public_ void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t offset) {
        void *p;

        p = resolve() ? next.mmap(addr, len, prot, flags, fd, offset)
                      : raw_mmap(addr, len, prot, flags, fd, offset);
        if (p != MAP_FAILED && is_private_anonymous(flags) && page_size > 0)
                mark_mergeable((uintptr_t) p, (uintptr_t) p + len);
        return p;
}

_public_ void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t offset) {
        void *p;

        p = resolve() ? next.mmap64(addr, len, prot, flags, fd, offset)
                      : raw_mmap(addr, len, prot, flags, fd, (off_t) offset);
        if (p != MAP_FAILED && is_private_anonymous(flags) && page_size > 0)
                mark_mergeable((uintptr_t) p, (uintptr_t) p + len);
        return p;
}

/* The malloc family. Inside dlsym() there is no next function yet: failing
 * the allocation is what glibc's dlerror() code expects and survives. */

_public_ void *malloc(size_t size) {
        void *p;

        if (!resolve()) {
                errno = ENOMEM;
                return NULL;
        }
        p = next.malloc(size);
        note_allocation(p, size);
        return p;
}

_public_ void *calloc(size_t n, size_t size) {
        void *p;

        if (!resolve()) {
                errno = ENOMEM;
                return NULL;
        }
        p = next.calloc(n, size);
        /* Non-NULL means n * size did not overflow. */
        note_allocation(p, n * size);
        return p;
}

_public_ void *realloc(void *old, size_t size) {
        void *p;

        if (!resolve()) {
                errno = ENOMEM;
                return NULL;
        }
        p = next.realloc(old, size);
        note_allocation(p, size);
        return p;
}

_public_ int posix_memalign(void **ret, size_t alignment, size_t size) {
        int r;

        if (!resolve())
                return ENOMEM;
        r = next.posix_memalign(ret, alignment, size);
        if (r == 0)
                note_allocation(*ret, size);
        return r;
}

_public_ void *memalign(size_t alignment, size_t size) {
        void *p;

        if (!resolve()) {
                errno = ENOMEM;
                return NULL;
        }
        p = next.memalign(alignment, size);
        note_allocation(p, size);
        return p;
}

_public_ void *aligned_alloc(size_t alignment, size_t size) {
        void *p;

        if (!resolve()) {
                errno = ENOMEM;
                return NULL;
        }
        p = next.aligned_alloc(alignment, size);
        note_allocation(p, size);
        return p;
}

_public_ void *valloc(size_t size) {
        void *p;

        if (!resolve()) {
                errno = ENOMEM;
                return NULL;
        }
        p = next.valloc(size);
        note_allocation(p, size);
        return p;
}

_public_ void *pvalloc(size_t size) {
        void *p;

        if (!resolve()) {
                errno = ENOMEM;
                return NULL;
        }
        p = next.pvalloc(size);
        note_allocation(p, size);
        return p;
}
