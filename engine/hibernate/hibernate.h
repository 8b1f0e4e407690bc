/* SPDX-License-Identifier: MIT */
#pragma once

/* Hibernation: a fully idle process checkpointed with CRIU into a directory
 * of images and stopped, all its memory returned; restored from the images
 * later. The steps that run criu are in the helper (daemon/wolfram-hibernate.c);
 * what reads its output, the /proc facts it needs and the record kept beside
 * the images are here, free of side effects, so that the unit tests run them
 * on fixtures.
 *
 * One directory per process below the images root (HIBERNATE_DIR_NAME in the
 * engine's state directory, /var/lib/wolfram/hibernate),
 * named by its pid, root-only (0700). It holds criu's images and logs and,
 * once the images were verified, the record (HIBERNATE_RECORD): the record's
 * presence is what makes the directory a hibernated process. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HIBERNATE_DIR_NAME "hibernate" /* below the engine's state directory */
#define HIBERNATE_RECORD "wolfram-record.json"
#define HIBERNATE_DUMP_LOG "dump.log"
#define HIBERNATE_RESTORE_LOG "restore.log"
#define HIBERNATE_WAKE_ERROR "wake-failed.txt" /* why the last restore failed, one line */
#define HIBERNATE_MAX_PORTS 16
#define HIBERNATE_MAX_TASKS 256
#define HIBERNATE_COMM_MAX 64 /* an escaped comm and its NUL */

/* A TCP socket the process listened on: where the port proxy listens for it. */
typedef struct HibernateListen {
        int family; /* AF_INET or AF_INET6 */
        uint8_t address[16]; /* network order; the first 4 bytes for AF_INET */
        uint16_t port;
        /* SO_REUSEADDR was set on it: its restore can bind while a
         * connection the proxy accepted on the port lives (without it, the
         * proxy would make the restore fail). */
        bool reuse_address;
} HibernateListen;

typedef struct HibernateRecord {
        pid_t pid;
        uint64_t start_time; /* the process's start time before the dump, clock ticks */
        uid_t uid;
        char comm[HIBERNATE_COMM_MAX];
        char *cgroup; /* escaped, or NULL */
        uint64_t pss_bytes; /* the tree's proportional share of RAM, what the stop returns */
        uint64_t swap_bytes; /* what the tree had in swap (zram), returned too */
        uint64_t image_bytes; /* the images on disk */
        uint64_t hibernated_realtime_usec;
        uint64_t dump_usec; /* criu dump and the verification */
        unsigned n_tasks; /* processes in the tree */
        uint16_t ports[HIBERNATE_MAX_PORTS]; /* TCP ports it listened on, each once */
        unsigned n_ports;
        HibernateListen listen[HIBERNATE_MAX_PORTS]; /* its listening sockets (none in older records) */
        unsigned n_listen;
        char *wake_error; /* why its last restore failed (HIBERNATE_WAKE_ERROR, escaped), or NULL */
} HibernateRecord;

void hibernate_record_done(HibernateRecord *r);

/* The record as JSON text, newly allocated. */
int hibernate_record_format(const HibernateRecord *r, char **ret);

/* Parses a record; -EBADMSG on anything that is not one (missing pid,
 * comm or start time, numbers out of range). */
int hibernate_record_parse(const char *text, HibernateRecord *ret);

/* The first three errors criu's log gives ("Error (criu/sk-unix.c:712):
 * unix: ..."), each without its location, joined with "; " into buf; those
 * of its probes of other programs ("exited, status=1") are left out. When
 * the log holds none, "criu exited with status N". Always NUL-terminated. */
void hibernate_criu_reason(const char *log, size_t len, int status, char *buf, size_t size);

/* The TCP sockets in LISTEN state of /proc/PID/net/tcp (family AF_INET)
 * or tcp6 (AF_INET6) text whose socket inode is among 'inodes' (the
 * process's own sockets), added to the record's listen[] (and their ports
 * to ports[], each once), at most HIBERNATE_MAX_PORTS; the inode of each
 * added socket in inode_of[] at the same index when that is not NULL.
 * -EBADMSG on a line that is not the kernel's format. */
int hibernate_listen_parse(const char *text, size_t len, int family, const uint64_t *inodes, size_t n_inodes,
                           HibernateRecord *rec, uint64_t *inode_of);

/* "127.0.0.1:8087", "[::1]:6379". */
void hibernate_listen_format(const HibernateListen *l, char *buf, size_t size);

/* `crit decode` of pstree.img: the pids of the tree, root first. -EBADMSG
 * when it is not a pstree or holds no process, -E2BIG over
 * HIBERNATE_MAX_TASKS. */
int hibernate_pstree_parse(const char *json, pid_t *pids, unsigned *n_pids);

/* `crit decode` of pagemap-PID.img: its pages_id and the number of pages
 * the entries say the pages file holds (those present and not in a parent
 * image). -EBADMSG when it is not a pagemap. */
int hibernate_pagemap_parse(const char *json, uint64_t *ret_pages_id, uint64_t *ret_pages);

/* Pss and Swap of /proc/PID/smaps_rollup, in bytes. */
int hibernate_rollup_parse(const char *text, size_t len, uint64_t *ret_pss, uint64_t *ret_swap);

/* Whether a directory name below the images root is a pid ("1234"). */
bool hibernate_dir_name_pid(const char *name, pid_t *ret);

/* The records below the images root, sorted by pid: the hibernated
 * processes, each with the reason its last restore failed where one did.
 * A directory without a record (a dump under way, or one that never
 * finished) is skipped, as is a record that does not parse (logged). A
 * missing root is none. */
int hibernate_scan(const char *root, HibernateRecord **ret, size_t *ret_n);

void hibernate_records_free(HibernateRecord *r, size_t n);

/* What the records say their stop returned: Pss and swap, summed. */
uint64_t hibernate_saved_bytes(const HibernateRecord *r, size_t n);
