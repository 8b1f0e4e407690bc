/* SPDX-License-Identifier: MIT */
/*
 * The content profiles of wolfram-workload. Everything is drawn from one
 * splitmix64 sequence started at the seed and walked page by page through
 * all mappings, so the same seed and profile give the same bytes in every
 * process: that is what the KSM tests and benchmarks rely on for identical
 * workloads, and why they pass distinct seeds when they want distinct ones.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "workload.h"

static const char *const content_names[_CONTENT_MAX] = {
        [CONTENT_ZEROS] = "zeros", [CONTENT_RANDOM] = "random",       [CONTENT_TEXT] = "text",
        [CONTENT_MIXED] = "mixed", [CONTENT_REALISTIC] = "realistic", [CONTENT_MEDIA] = "media",
};

int content_from_name(const char *name, enum content *ret) {
        for (enum content c = 0; c < _CONTENT_MAX; c++)
                if (content_names[c] && strcmp(content_names[c], name) == 0) {
                        *ret = c;
                        return 0;
                }
        return -EINVAL;
}

const char *content_name(enum content content) {
        return content_names[content];
}

/* Good enough that "random" pages do not compress. */
uint64_t rng_next(uint64_t *state) {
        uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);

        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
}

static const char *const words[] = {
        "the",     "memory", "page",     "process", "kernel",  "swap",   "cache",  "error",
        "request", "user",   "file",     "server",  "return",  "value",  "buffer", "thread",
        "INFO",    "WARN",   "debug",    "session", "timeout", "client", "status", "ok",
        "config",  "path",   "/usr/lib", "id=",     "count",   "of",     "and",    "with",
};

/* Appends the decimal form of v at p without snprintf, which would dominate
 * the fill time of a multi-GiB workload. */
static size_t format_u64(char *p, uint64_t v) {
        char tmp[20];
        size_t n = 0;

        do {
                tmp[n++] = (char) ('0' + v % 10);
                v /= 10;
        } while (v > 0);
        for (size_t i = 0; i < n; i++)
                p[i] = tmp[n - 1 - i];
        return n;
}

/* Log-like lines: compresses roughly as well as real heap strings do. */
static void fill_text(uint8_t *page, uint64_t *rng) {
        size_t pos = 0;

        while (pos < page_size) {
                char token[48];
                uint64_t r = rng_next(rng);
                const char *word = words[r % (sizeof(words) / sizeof(words[0]))];
                size_t n = strlen(word);

                memcpy(token, word, n);
                if ((r >> 8) % 4 == 0)
                        n += format_u64(token + n, (r >> 16) % ((r >> 12) % 2 ? 100000 : 100));
                token[n++] = (r >> 40) % 10 == 0 ? '\n' : ' ';

                n = n < page_size - pos ? n : page_size - pos;
                memcpy(page + pos, token, n);
                pos += n;
        }
}

/* Arrays of small structs, as a heap full of objects looks: increasing ids,
 * small enums and counts, and pointers into one nearby area. */
struct record {
        uint32_t id;
        uint16_t kind;
        uint16_t flags;
        uint64_t next;
        uint32_t refcount;
        uint32_t reserved;
        uint64_t value;
};

static void fill_records(uint8_t *page, size_t page_index, uint64_t *rng) {
        struct record *rec = (struct record *) page;
        size_t n = page_size / sizeof(struct record);
        uint64_t heap = 0x55d400000000ULL + ((seed & 0xffff) << 20);

        for (size_t i = 0; i < n; i++) {
                uint64_t r = rng_next(rng);
                uint32_t id = (uint32_t) (page_index * n + i);

                rec[i] = (struct record){
                        .id = id,
                        .kind = (uint16_t) (r % 8),
                        .flags = (uint16_t) ((r >> 8) % 3 == 0 ? 0x1 : 0x11),
                        .next = (r >> 16) % 4 == 0 ? 0 : heap + (uint64_t) (id + 1) * sizeof(struct record),
                        .refcount = (uint32_t) ((r >> 24) % 4 + 1),
                        .value = (r >> 32) % 1000,
                };
        }
}

static void fill_random(uint8_t *page, uint64_t *rng) {
        for (size_t i = 0; i < page_size; i += sizeof(uint64_t)) {
                uint64_t v = rng_next(rng);
                memcpy(page + i, &v, sizeof(v));
        }
}

/* Bytes read from files on this machine, for "realistic". Mapped rather
 * than malloc()ed so that unmapping it after the fill really gives it back:
 * it must not linger in the RSS a benchmark measures. */
struct corpus {
        uint8_t *data;
        size_t len, capacity;
        size_t max_file_bytes;
};

/* The first max_file_bytes of a regular file (symbolic links skipped: they
 * would add a library twice under its soname). */
static void corpus_add_file(struct corpus *c, const char *path, bool follow_links) {
        struct stat st;
        int fd;

        if (c->len >= c->capacity)
                return;
        if ((follow_links ? stat(path, &st) : lstat(path, &st)) < 0 || !S_ISREG(st.st_mode))
                return;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return;
        size_t want = c->capacity - c->len;
        want = want < c->max_file_bytes ? want : c->max_file_bytes;
        for (size_t done = 0; done < want;) {
                ssize_t n = read(fd, c->data + c->len, want - done);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                c->len += (size_t) n;
                done += (size_t) n;
        }
        close(fd);
}

static int filter_visible(const struct dirent *d) {
        return d->d_name[0] != '.';
}

/* Adds dir/NAME/suffix (or dir/NAME without a suffix) for every NAME in dir
 * that contains infix (any NAME without one), in byte order of the names
 * (scandir's alphasort under the C locale, which this program never
 * changes), so that two processes read the same bytes in the same order. */
static void corpus_add_dir(struct corpus *c, const char *dir, const char *suffix, const char *infix,
                           bool follow_links) {
        struct dirent **names = NULL;
        int n = scandir(dir, &names, filter_visible, alphasort);

        for (int i = 0; i < n; i++) {
                char path[4096];

                if ((!infix || strstr(names[i]->d_name, infix)) &&
                    (size_t) snprintf(path, sizeof(path), "%s/%s%s%s", dir, names[i]->d_name,
                                      suffix ? "/" : "", suffix ?: "") < sizeof(path))
                        corpus_add_file(c, path, follow_links);
                free(names[i]);
        }
        free(names);
}

static int corpus_init(struct corpus *c, size_t capacity, size_t max_file_bytes) {
        *c = (struct corpus){ .capacity = capacity, .max_file_bytes = max_file_bytes };
        c->data = mmap(NULL, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (c->data == MAP_FAILED) {
                c->data = NULL;
                return -ENOMEM;
        }
        return 0;
}

static void corpus_done(struct corpus *c) {
        if (c->data)
                (void) munmap(c->data, c->capacity);
        *c = (struct corpus){};
}

/* One page of corpus bytes from a seeded byte offset (not a page-aligned
 * one, so that two pages of one workload are rarely the same and KSM finds
 * little to merge inside a process), wrapping at the end. */
static void fill_from_corpus(uint8_t *page, const struct corpus *c, uint64_t *rng) {
        size_t from = (size_t) (rng_next(rng) % c->len);

        for (size_t pos = 0; pos < page_size;) {
                size_t n = c->len - from < page_size - pos ? c->len - from : page_size - pos;

                memcpy(page + pos, c->data + from, n);
                pos += n;
                from = 0;
        }
}

/* "realistic": per 20 pages, in a seeded order, 8 pages of documentation
 * text (licences, copyright files, word lists: what heaps of strings
 * compress like), 6 of shared-library bytes (code and tables, binary but
 * compressible), 3 zero pages (freed and calloc()ed memory) and 3 random
 * pages (compressed or encrypted data, hashes). That is 40/30/15/15 %. */
enum realistic_kind {
        REALISTIC_TEXT,
        REALISTIC_LIBRARY,
        REALISTIC_ZEROS,
        REALISTIC_RANDOM,
};

#define REALISTIC_GROUP 20
static const enum realistic_kind realistic_group[REALISTIC_GROUP] = {
        REALISTIC_TEXT,    REALISTIC_TEXT,    REALISTIC_TEXT,    REALISTIC_TEXT,    REALISTIC_TEXT,
        REALISTIC_TEXT,    REALISTIC_TEXT,    REALISTIC_TEXT,    REALISTIC_LIBRARY, REALISTIC_LIBRARY,
        REALISTIC_LIBRARY, REALISTIC_LIBRARY, REALISTIC_LIBRARY, REALISTIC_LIBRARY, REALISTIC_ZEROS,
        REALISTIC_ZEROS,   REALISTIC_ZEROS,   REALISTIC_RANDOM,  REALISTIC_RANDOM,  REALISTIC_RANDOM,
};

/* Bounded so that the start stays quick: a few MiB of each is plenty of
 * variety, and capped per file so that it comes from many files. */
#define TEXT_CORPUS_BYTES (8u << 20)
#define TEXT_FILE_BYTES (64u << 10)
#define LIBRARY_CORPUS_BYTES (16u << 20)
#define LIBRARY_FILE_BYTES (256u << 10)

static void load_realistic_corpora(struct corpus *text, struct corpus *library) {
        static const char *const library_dirs[] = {
                "/usr/lib/x86_64-linux-gnu",
                "/usr/lib/aarch64-linux-gnu",
                "/usr/lib64",
                "/usr/lib",
        };

        if (corpus_init(text, TEXT_CORPUS_BYTES, TEXT_FILE_BYTES) == 0) {
                corpus_add_dir(text, "/usr/share/common-licenses", NULL, NULL, true);
                corpus_add_dir(text, "/usr/share/dict", NULL, NULL, true);
                corpus_add_dir(text, "/usr/share/doc", "copyright", NULL, true);
        }
        if (corpus_init(library, LIBRARY_CORPUS_BYTES, LIBRARY_FILE_BYTES) == 0)
                /* Only the first directory that has any: on Debian the
                 * others hold the same libraries or none. */
                for (size_t i = 0; i < sizeof(library_dirs) / sizeof(library_dirs[0]) && library->len == 0;
                     i++)
                        corpus_add_dir(library, library_dirs[i], NULL, ".so", false);

        if (text->len == 0)
                fprintf(stderr, "No documentation text found in /usr/share/{common-licenses,dict,doc}, "
                                "using generated text for the text pages of \"realistic\"\n");
        if (library->len == 0)
                fprintf(stderr, "No shared libraries found in /usr/lib, "
                                "using generated records for the library pages of \"realistic\"\n");
}

static void fill_realistic_page(uint8_t *page, size_t page_index, enum realistic_kind kind,
                                const struct corpus *text, const struct corpus *library, uint64_t *rng) {
        switch (kind) {
        case REALISTIC_TEXT:
                if (text->len > 0)
                        fill_from_corpus(page, text, rng);
                else
                        fill_text(page, rng);
                break;
        case REALISTIC_LIBRARY:
                if (library->len > 0)
                        fill_from_corpus(page, library, rng);
                else
                        fill_records(page, page_index, rng);
                break;
        case REALISTIC_ZEROS:
                memset(page, 0, page_size);
                break;
        case REALISTIC_RANDOM:
                fill_random(page, rng);
                break;
        }
}

static void fill_page(uint8_t *page, size_t page_index, enum content kind, uint64_t *rng) {
        switch (kind) {
        case CONTENT_ZEROS:
                /* Written, not left untouched: an unwritten page maps the
                 * shared zero page and could never be paged out. */
                memset(page, 0, page_size);
                break;
        case CONTENT_RANDOM:
                fill_random(page, rng);
                break;
        case CONTENT_TEXT:
                fill_text(page, rng);
                break;
        case CONTENT_RECORDS:
                fill_records(page, page_index, rng);
                break;
        case CONTENT_MIXED:
        case CONTENT_REALISTIC:
        case CONTENT_MEDIA:
        case _CONTENT_MAX:
                abort();
        }
}

void fill_memory(enum content content) {
        static const enum content quarters[4] = {
                CONTENT_TEXT,
                CONTENT_RECORDS,
                CONTENT_RANDOM,
                CONTENT_ZEROS,
        };
        struct corpus text = {}, library = {};
        enum realistic_kind group[REALISTIC_GROUP];
        uint64_t rng = seed, rotation = 0;
        size_t i = 0, n_pages = 0;

        if (content == CONTENT_REALISTIC)
                load_realistic_corpora(&text, &library);

        for (size_t m = 0; m < n_mappings; m++)
                for (size_t p = 0; p < mappings[m].n_parts; p++)
                        n_pages += mappings[m].parts[p].len / page_size;

        for (size_t m = 0; m < n_mappings; m++)
                for (size_t p = 0; p < mappings[m].n_parts; p++) {
                        const struct span *part = &mappings[m].parts[p];

                        for (size_t off = 0; off < part->len; off += page_size, i++) {
                                uint8_t *page = part->addr + off;

                                if (content == CONTENT_REALISTIC) {
                                        /* A Fisher-Yates shuffle of each group
                                         * keeps the shares exact. */
                                        if (i % REALISTIC_GROUP == 0) {
                                                memcpy(group, realistic_group, sizeof(group));
                                                for (size_t k = REALISTIC_GROUP - 1; k > 0; k--) {
                                                        size_t j = (size_t) (rng_next(&rng) % (k + 1));
                                                        enum realistic_kind t = group[k];
                                                        group[k] = group[j];
                                                        group[j] = t;
                                                }
                                        }
                                        fill_realistic_page(page, i, group[i % REALISTIC_GROUP], &text,
                                                            &library, &rng);
                                } else if (content == CONTENT_MIXED) {
                                        /* Exactly a quarter of each kind,
                                         * interleaved page by page in a seeded
                                         * order, as a real heap mixes them. */
                                        if (i % 4 == 0)
                                                rotation = rng_next(&rng) % 4;
                                        fill_page(page, i, quarters[(i + rotation) % 4], &rng);
                                } else if (content == CONTENT_MEDIA)
                                        /* Side by side in one mapping, as the
                                         * kernel merges adjacent ones. */
                                        fill_page(page, i,
                                                  i < n_pages / 3 * 2 ? CONTENT_RANDOM : CONTENT_TEXT, &rng);
                                else
                                        fill_page(page, i, content, &rng);
                        }
                }

        corpus_done(&text);
        corpus_done(&library);
}
