/* SPDX-License-Identifier: MIT */
#pragma once

/* /proc/PID/smaps, read as a stream: a process may have tens of thousands
 * of mappings (browsers, JVMs: megabytes of smaps text), so the text is
 * never held whole. The parser takes chunks cut anywhere, joins the lines
 * that straddle them, and keeps only the VMAs its caller asked for. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One VMA from /proc/PID/smaps with the fields the backends use. */
typedef struct SmapsVma {
        uint64_t start, end;
        bool anonymous; /* no file behind it: [heap], [stack], [anon:…] or unnamed */
        bool special; /* [vdso], [vvar], [vsyscall], … never touched */
        uint64_t rss_bytes;
        uint64_t anonymous_bytes;
        uint64_t referenced_bytes;
        uint64_t swap_bytes;
} SmapsVma;

/* Which VMAs are kept; all zero keeps every one. */
typedef struct SmapsFilter {
        bool anonymous_only;
        bool resident_only; /* Rss > 0 */
        uint64_t min_size_bytes; /* end - start */
} SmapsFilter;

/* The part of a line the parser looks at. Everything it reads lies in the
 * first hundred bytes (the kernel pads a header's fields to a fixed column;
 * anonymous names are at most 80 characters); what follows is the rest of a
 * long file path. */
#define SMAPS_LINE_MAX 256U

typedef struct SmapsParser {
        SmapsFilter filter;
        /* The start of a line that the last chunk did not finish. */
        char line[SMAPS_LINE_MAX];
        size_t line_len;
        bool in_line;
        SmapsVma current;
        bool have_current;
        SmapsVma *vmas; /* the ones kept so far */
        size_t n_vmas, n_allocated;
        size_t n_seen; /* every VMA parsed, kept or not */
        int error;
} SmapsParser;

/* Starts a parse that keeps the VMAs 'filter' lets through (NULL: all). */
void smaps_parser_init(SmapsParser *p, const SmapsFilter *filter);

/* Parses the next 'len' bytes; a chunk may end anywhere, also inside a
 * line. -EBADMSG on malformed text, -ENOMEM; after an error every further
 * call returns it again. */
int smaps_parser_feed(SmapsParser *p, const char *buf, size_t len);

/* Ends the text (a last line needs no newline) and hands over the VMAs
 * kept, in the order of the text (NULL when none). On error nothing is
 * handed over and the outputs are untouched. The parser is reset either
 * way. */
int smaps_parser_finish(SmapsParser *p, SmapsVma **ret, size_t *ret_n);

/* Frees what the parser holds; for a parse given up before its end. */
void smaps_parser_done(SmapsParser *p);

/* Reads /proc/PID/smaps (root prefix honoured) in chunks through the
 * parser and returns the VMAs 'filter' keeps; memory grows with those, not
 * with the text. -ESRCH when the process is gone, -EBADMSG when the text
 * does not parse. */
int smaps_read(pid_t pid, const SmapsFilter *filter, SmapsVma **ret, size_t *ret_n);

/* The same from /proc/PID/maps: the VMAs' bounds and kinds only, every
 * figure 0, without the page walk smaps costs. resident_only is not
 * possible here (-EINVAL). */
int maps_read(pid_t pid, const SmapsFilter *filter, SmapsVma **ret, size_t *ret_n);
