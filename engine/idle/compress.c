/* SPDX-License-Identifier: MIT */
#include "idle/compress.h"
#include "kernel/zram.h"

void compress_pool_read(const unsigned *ids, size_t n_ids, CompressPoolFigures *ret) {
        bool unlimited = false;

        *ret = (CompressPoolFigures){ .valid = n_ids > 0 };
        for (size_t i = 0; i < n_ids; i++) {
                ZramMmStat mm;

                if (zram_read_mm_stat(ids[i], &mm) < 0) {
                        ret->valid = false;
                        return;
                }
                ret->orig_bytes += mm.orig_data_bytes;
                ret->compr_bytes += mm.compr_data_bytes;
                ret->used_bytes += mm.mem_used_total_bytes;
                ret->limit_bytes += mm.mem_limit_bytes;
                unlimited = unlimited || mm.mem_limit_bytes == 0;
        }
        if (unlimited)
                ret->limit_bytes = 0;
}

double compress_delta_ratio(const CompressPoolFigures *before, const CompressPoolFigures *after) {
        uint64_t orig, compr;

        if (!before->valid || !after->valid || after->orig_bytes <= before->orig_bytes)
                return 1.0;
        orig = after->orig_bytes - before->orig_bytes;
        compr = after->compr_bytes > before->compr_bytes ? after->compr_bytes - before->compr_bytes : 0;
        return compr >= orig ? 1.0 : (double) compr / (double) orig;
}

CompressVerdict compress_judge(const CompressPoolFigures *before, const CompressPoolFigures *after,
                               uint64_t advised_bytes) {
        uint64_t orig, compr;

        if (!before->valid || !after->valid || advised_bytes == 0 || after->orig_bytes <= before->orig_bytes)
                return COMPRESS_UNKNOWN;
        orig = after->orig_bytes - before->orig_bytes;
        if (orig < advised_bytes / 2)
                return COMPRESS_UNKNOWN;
        /* Pages freed from the pool meanwhile can only lower compr: a poor
         * verdict is never made of someone else's pages leaving. */
        compr = after->compr_bytes > before->compr_bytes ? after->compr_bytes - before->compr_bytes : 0;
        return compr * 100 > orig * COMPRESS_POOR_PERCENT ? COMPRESS_POOR : COMPRESS_GOOD;
}

bool compress_segment_skip(CompressSegment *s) {
        if (s->verdict != COMPRESS_POOR || s->skip_cycles == 0)
                return false;
        s->skip_cycles--;
        return true;
}

void compress_segment_update(CompressSegment *s, CompressVerdict v) {
        unsigned skip = COMPRESS_SKIP_CYCLES_MIN;

        switch (v) {
        case COMPRESS_POOR:
                if (s->poor_count < UINT8_MAX)
                        s->poor_count++;
                for (unsigned i = 1; i < s->poor_count && skip < COMPRESS_SKIP_CYCLES_MAX; i++)
                        skip *= 2;
                s->verdict = COMPRESS_POOR;
                s->skip_cycles =
                        (uint16_t) (skip < COMPRESS_SKIP_CYCLES_MAX ? skip : COMPRESS_SKIP_CYCLES_MAX);
                break;
        case COMPRESS_GOOD:
                *s = (CompressSegment){ .verdict = COMPRESS_GOOD };
                break;
        case COMPRESS_UNKNOWN:
                break;
        }
}

bool compress_pool_has_room(const CompressPoolFigures *f, uint64_t bytes, double ratio) {
        uint64_t need, room;

        if (!f->valid || f->limit_bytes == 0)
                return true;
        if (ratio < 0.0 || ratio > 1.0)
                ratio = 1.0;
        /* A quarter more than the ratio says, and 1 MiB, for zsmalloc's
         * classes and a ratio that varies across the segment. */
        need = (uint64_t) ((double) bytes * ratio * 1.25) + (UINT64_C(1) << 20);
        room = f->limit_bytes > f->used_bytes ? f->limit_bytes - f->used_bytes : 0;
        return need <= room;
}
