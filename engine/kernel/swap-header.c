/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "kernel/swap-header.h"

/* The layout of the kernel's union swap_header, version 1. */
#define SWAP_BOOTBITS 1024
#define OFFSET_VERSION (SWAP_BOOTBITS + 0)
#define OFFSET_LAST_PAGE (SWAP_BOOTBITS + 4)
#define OFFSET_NR_BADPAGES (SWAP_BOOTBITS + 8)
#define OFFSET_UUID (SWAP_BOOTBITS + 12)
#define OFFSET_LABEL (SWAP_BOOTBITS + 28)
#define SWAP_MIN_PAGES 10

static void put_u32(uint8_t *p, uint32_t v) {
        /* Native byte order, as the kernel reads it. */
        memcpy(p, &v, sizeof(v));
}

int swap_header_build(void *page, size_t page_size, uint64_t device_bytes, const uint8_t uuid[16],
                      const char *label) {
        uint8_t *p = page;
        uint64_t pages = device_bytes / page_size;

        if (page_size < 4096 || pages < SWAP_MIN_PAGES || pages - 1 > UINT32_MAX)
                return -EINVAL;
        if (label && strlen(label) >= SWAP_LABEL_MAX)
                return -EINVAL;

        memset(p, 0, page_size);
        put_u32(p + OFFSET_VERSION, 1);
        put_u32(p + OFFSET_LAST_PAGE, (uint32_t) (pages - 1));
        put_u32(p + OFFSET_NR_BADPAGES, 0);
        memcpy(p + OFFSET_UUID, uuid, 16);
        if (label)
                memcpy(p + OFFSET_LABEL, label, strlen(label));
        memcpy(p + page_size - strlen(SWAP_SIGNATURE), SWAP_SIGNATURE, strlen(SWAP_SIGNATURE));
        return 0;
}

int swap_header_parse(const void *page, size_t page_size, char ret_label[SWAP_LABEL_MAX],
                      uint8_t ret_uuid[16]) {
        const uint8_t *p = page;
        uint32_t version;

        if (page_size < 4096)
                return -EINVAL;
        if (memcmp(p + page_size - strlen(SWAP_SIGNATURE), SWAP_SIGNATURE, strlen(SWAP_SIGNATURE)) != 0)
                return -EBADMSG;
        memcpy(&version, p + OFFSET_VERSION, sizeof(version));
        if (version != 1)
                return -EBADMSG;
        /* 16 bytes on disk, not always terminated: at most 15 kept. */
        memcpy(ret_label, p + OFFSET_LABEL, SWAP_LABEL_MAX - 1);
        ret_label[SWAP_LABEL_MAX - 1] = '\0';
        memcpy(ret_uuid, p + OFFSET_UUID, 16);
        return 0;
}

int swap_uuid_random(uint8_t uuid[16]) {
        ssize_t n = getrandom(uuid, 16, 0);

        if (n != 16)
                return n < 0 ? -errno : -EIO;
        uuid[6] = (uint8_t) ((uuid[6] & 0x0F) | 0x40); /* version 4 */
        uuid[8] = (uint8_t) ((uuid[8] & 0x3F) | 0x80); /* RFC 4122 variant */
        return 0;
}
