/* SPDX-License-Identifier: MIT */
/* The redis client of bench/vm-redis.sh, for the test VM, where there is
 * no Python: loads redis-server with 1 KiB values, reads its hot keys with
 * a Zipf skew and checks what it wrote. The same layout as scenario 8b on
 * the host (bench/bench_refaults.py): keys key:%012d, every 20th key (by a
 * hash of its number, so spread over the heap a few to a page) is hot, and
 * one connection reads the hot keys as fast as redis answers, each drawn
 * with a Zipf skew (s = 0.99) over a shuffled order of them.
 *
 *   wolfram-redis-skew load SOCKET KEYS
 *   wolfram-redis-skew read SOCKET KEYS SECONDS
 *   wolfram-redis-skew check SOCKET KEYS
 *   wolfram-redis-skew digest SOCKET
 *
 * Each prints one JSON line; the exit status is 0 only when every answer
 * was the value written. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define VALUE_BYTES 1024
#define HOT_EVERY 20
#define ZIPF_S 0.99
#define BATCH 1000

static const char *const words[] = { "memory", "page",   "cold",    "zram",   "swap", "region", "process",
                                     "kernel", "the",    "of",      "and",    "to",   "redis",  "value",
                                     "key",    "data",   "session", "cart",   "user", "cycle",  "heap",
                                     "store",  "client", "answer",  "object", "list", "set",    "hash" };

typedef struct Conn {
        int fd;
        char buf[65536];
        size_t pos, len;
} Conn;

static uint64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

/* Key i's value: its number, then text drawn from the words by a hash of
 * i; compressible as text is. */
static void make_value(uint64_t i, char *v) {
        uint64_t x = i * 2654435761ULL + 0x9e3779b97f4a7c15ULL;
        int n = snprintf(v, VALUE_BYTES, "%" PRIu64 "|", i);

        while (n < VALUE_BYTES) {
                x = x * 6364136223846793005ULL + 1442695040888963407ULL;
                const char *w = words[(x >> 33) % (sizeof(words) / sizeof(words[0]))];
                for (size_t k = 0; w[k] && n < VALUE_BYTES; k++)
                        v[n++] = w[k];
                if (n < VALUE_BYTES)
                        v[n++] = ' ';
        }
}

static bool is_hot(uint64_t i) {
        return ((i * 2654435761ULL) & 0xffffffffULL) % HOT_EVERY == 0;
}

static int conn_open(Conn *c, const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c->fd < 0)
                return -errno;
        if (connect(c->fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        c->pos = c->len = 0;
        return 0;
}

static int send_all(Conn *c, const char *p, size_t n) {
        while (n > 0) {
                ssize_t k = write(c->fd, p, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return k < 0 ? -errno : -EPIPE;
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

static int fill(Conn *c) {
        ssize_t k;

        if (c->pos < c->len)
                return 0;
        do
                k = read(c->fd, c->buf, sizeof(c->buf));
        while (k < 0 && errno == EINTR);
        if (k <= 0)
                return k < 0 ? -errno : -ECONNRESET;
        c->pos = 0;
        c->len = (size_t) k;
        return 0;
}

/* Reads n bytes (out may be NULL: skipped). */
static int recv_bytes(Conn *c, char *out, size_t n) {
        while (n > 0) {
                int r = fill(c);
                if (r < 0)
                        return r;
                size_t k = c->len - c->pos < n ? c->len - c->pos : n;
                if (out) {
                        memcpy(out, c->buf + c->pos, k);
                        out += k;
                }
                c->pos += k;
                n -= k;
        }
        return 0;
}

/* One reply line without its CRLF, at most size - 1 bytes kept. */
static int recv_line(Conn *c, char *line, size_t size) {
        size_t n = 0;

        for (;;) {
                char ch;
                int r = recv_bytes(c, &ch, 1);
                if (r < 0)
                        return r;
                if (ch == '\n')
                        break;
                if (n + 1 < size)
                        line[n++] = ch;
        }
        if (n > 0 && line[n - 1] == '\r')
                n--;
        line[n] = 0;
        return 0;
}

static int append_command(char **buf, size_t *len, size_t *cap, int argc, const char *const *argv,
                          const size_t *lens) {
        size_t need = 32;

        for (int k = 0; k < argc; k++)
                need += lens[k] + 32;
        if (*len + need > *cap) {
                size_t ncap = (*cap + need) * 2;
                char *n = realloc(*buf, ncap);
                if (!n)
                        return -ENOMEM;
                *buf = n;
                *cap = ncap;
        }
        *len += (size_t) sprintf(*buf + *len, "*%d\r\n", argc);
        for (int k = 0; k < argc; k++) {
                *len += (size_t) sprintf(*buf + *len, "$%zu\r\n", lens[k]);
                memcpy(*buf + *len, argv[k], lens[k]);
                *len += lens[k];
                memcpy(*buf + *len, "\r\n", 2);
                *len += 2;
        }
        return 0;
}

/* GET of key i, answered with its value in v (VALUE_BYTES); 1 when the
 * key is missing or its value has another length. */
static int get_value(Conn *c, uint64_t i, char *v) {
        char key[32], cmd[96], line[64];
        int klen = snprintf(key, sizeof(key), "key:%012" PRIu64, i);
        int n = snprintf(cmd, sizeof(cmd), "*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n", klen, key);
        long size;
        int r;

        r = send_all(c, cmd, (size_t) n);
        if (r >= 0)
                r = recv_line(c, line, sizeof(line));
        if (r < 0)
                return r;
        if (line[0] != '$')
                return 1;
        size = strtol(line + 1, NULL, 10);
        if (size != VALUE_BYTES)
                return 1;
        r = recv_bytes(c, v, VALUE_BYTES);
        if (r >= 0)
                r = recv_bytes(c, NULL, 2);
        return r;
}

static int do_load(Conn *c, uint64_t keys) {
        char *buf = NULL, value[VALUE_BYTES], key[32], line[256];
        size_t len = 0, cap = 0;
        uint64_t ok = 0;
        int r = 0;

        for (uint64_t first = 0; first < keys && r >= 0; first += BATCH) {
                uint64_t last = first + BATCH < keys ? first + BATCH : keys;
                len = 0;
                for (uint64_t i = first; i < last && r >= 0; i++) {
                        const char *argv[] = { "SET", key, value };
                        size_t lens[] = { 3, 0, VALUE_BYTES };
                        lens[1] = (size_t) snprintf(key, sizeof(key), "key:%012" PRIu64, i);
                        make_value(i, value);
                        r = append_command(&buf, &len, &cap, 3, argv, lens);
                }
                if (r >= 0)
                        r = send_all(c, buf, len);
                for (uint64_t i = first; i < last && r >= 0; i++) {
                        r = recv_line(c, line, sizeof(line));
                        if (r >= 0 && strcmp(line, "+OK") == 0)
                                ok++;
                }
        }
        free(buf);
        if (r < 0) {
                fprintf(stderr, "load: %s\n", strerror(-r));
                return 1;
        }
        printf("{\"keys\":%" PRIu64 ",\"ok\":%" PRIu64 "}\n", keys, ok);
        return ok == keys ? 0 : 1;
}

static int compare_u32(const void *a, const void *b) {
        uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
        return x < y ? -1 : x > y;
}

static int do_read(Conn *c, uint64_t keys, unsigned seconds) {
        uint64_t n_hot = 0, reads = 0, wrong = 0, state = 99, start, half, end;
        uint64_t *order = malloc((keys / HOT_EVERY * 2 + 16) * sizeof(uint64_t));
        double *cdf, total = 0;
        uint32_t *lat = NULL;
        size_t n_lat = 0, cap_lat = 0;
        char value[VALUE_BYTES], want[VALUE_BYTES];
        int r = 0;

        if (!order)
                return 1;
        for (uint64_t i = 0; i < keys; i++)
                if (is_hot(i))
                        order[n_hot++] = i;
        /* A shuffled order: rank 1 is any hot key, not the first. */
        for (uint64_t k = n_hot; k > 1; k--) {
                state = state * 6364136223846793005ULL + 1442695040888963407ULL;
                uint64_t j = (state >> 33) % k, t = order[k - 1];
                order[k - 1] = order[j];
                order[j] = t;
        }
        cdf = malloc((n_hot ?: 1) * sizeof(double));
        if (!cdf || n_hot == 0)
                return 1;
        for (uint64_t k = 0; k < n_hot; k++) {
                total += 1.0 / pow((double) (k + 1), ZIPF_S);
                cdf[k] = total;
        }

        start = now_ns();
        half = start + (uint64_t) seconds * 500000000ULL;
        end = start + (uint64_t) seconds * 1000000000ULL;
        while (r >= 0) {
                uint64_t t = now_ns(), lo = 0, hi = n_hot - 1;
                double u;

                if (t >= end)
                        break;
                state = state * 6364136223846793005ULL + 1442695040888963407ULL;
                u = (double) (state >> 11) / 9007199254740992.0 * total;
                while (lo < hi) {
                        uint64_t mid = lo + (hi - lo) / 2;
                        if (cdf[mid] < u)
                                lo = mid + 1;
                        else
                                hi = mid;
                }
                r = get_value(c, order[lo], value);
                if (r < 0)
                        break;
                make_value(order[lo], want);
                if (r > 0 || memcmp(value, want, VALUE_BYTES) != 0)
                        wrong++;
                r = 0;
                reads++;
                if (t >= half) {
                        uint64_t d = (now_ns() - t) / 100; /* 0.1 us */
                        if (n_lat == cap_lat) {
                                uint32_t *l = realloc(lat, (cap_lat * 2 + 4096) * sizeof(uint32_t));
                                if (!l)
                                        break;
                                lat = l;
                                cap_lat = cap_lat * 2 + 4096;
                        }
                        lat[n_lat++] = d > UINT32_MAX ? UINT32_MAX : (uint32_t) d;
                }
        }
        if (n_lat > 0)
                qsort(lat, n_lat, sizeof(uint32_t), compare_u32);
        printf("{\"hot_keys\":%" PRIu64 ",\"reads\":%" PRIu64 ",\"wrong\":%" PRIu64 ",\"p99_us\":%.1f,"
               "\"error\":\"%s\"}\n",
               n_hot, reads, wrong, n_lat ? lat[n_lat * 99 / 100] / 10.0 : 0.0, r < 0 ? strerror(-r) : "");
        free(lat);
        free(cdf);
        free(order);
        return r < 0 || wrong > 0 ? 1 : 0;
}

/* Every 97th key as written. */
static int do_check(Conn *c, uint64_t keys) {
        char value[VALUE_BYTES], want[VALUE_BYTES];
        uint64_t checked = 0, wrong = 0;
        int r = 0;

        for (uint64_t i = 0; i < keys && r >= 0; i += 97) {
                r = get_value(c, i, value);
                if (r < 0)
                        break;
                make_value(i, want);
                if (r > 0 || memcmp(value, want, VALUE_BYTES) != 0)
                        wrong++;
                r = 0;
                checked++;
        }
        printf("{\"checked\":%" PRIu64 ",\"wrong\":%" PRIu64 ",\"error\":\"%s\"}\n", checked, wrong,
               r < 0 ? strerror(-r) : "");
        return r < 0 || wrong > 0 ? 1 : 0;
}

/* DEBUG DIGEST (redis's checksum of the whole data set) and DBSIZE. */
static int do_digest(Conn *c) {
        static const char cmd[] = "*2\r\n$5\r\nDEBUG\r\n$6\r\nDIGEST\r\n*1\r\n$6\r\nDBSIZE\r\n";
        char digest[128], size[64];
        int r = send_all(c, cmd, sizeof(cmd) - 1);

        if (r >= 0)
                r = recv_line(c, digest, sizeof(digest));
        if (r >= 0)
                r = recv_line(c, size, sizeof(size));
        if (r < 0 || digest[0] != '+' || size[0] != ':') {
                fprintf(stderr, "digest: %s\n", r < 0 ? strerror(-r) : digest);
                return 1;
        }
        printf("{\"digest\":\"%s\",\"keys\":%s}\n", digest + 1, size + 1);
        return 0;
}

int main(int argc, char *argv[]) {
        bool digest = argc == 3 && strcmp(argv[1], "digest") == 0;
        uint64_t keys = 0;
        Conn c;
        int r;

        if (!digest && (argc < 4 || (strcmp(argv[1], "read") == 0 && argc < 5))) {
                fprintf(stderr, "Usage: %s load|read|check SOCKET KEYS [SECONDS], or digest SOCKET\n",
                        argv[0]);
                return 2;
        }
        if (!digest) {
                keys = strtoull(argv[3], NULL, 10);
                if (keys == 0 || keys > (1ULL << 32)) {
                        fprintf(stderr, "bad number of keys: %s\n", argv[3]);
                        return 2;
                }
        }
        r = conn_open(&c, argv[2]);
        if (r < 0) {
                fprintf(stderr, "connecting to %s: %s\n", argv[2], strerror(-r));
                return 1;
        }
        if (digest)
                return do_digest(&c);
        if (strcmp(argv[1], "load") == 0)
                return do_load(&c, keys);
        if (strcmp(argv[1], "read") == 0)
                return do_read(&c, keys, (unsigned) strtoul(argv[4], NULL, 10));
        if (strcmp(argv[1], "check") == 0)
                return do_check(&c, keys);
        fprintf(stderr, "unknown mode %s\n", argv[1]);
        return 2;
}
