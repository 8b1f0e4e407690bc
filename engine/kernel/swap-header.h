/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SWAP_SIGNATURE "SWAPSPACE2"
#define SWAP_LABEL_MAX 16

/* Fills 'page' (page_size bytes) with a version 1 swap header for a device
 * of 'device_bytes', as mkswap writes it: version, last usable page, no bad
 * pages, the UUID and label at their offsets after the first 1024 bytes,
 * the signature in the last 10 bytes. -EINVAL when the device holds fewer
 * than 10 pages or more than 2^32 pages, or the label is too long. */
int swap_header_build(void *page, size_t page_size, uint64_t device_bytes, const uint8_t uuid[16],
                      const char *label);

/* A random version 4 UUID. */
int swap_uuid_random(uint8_t uuid[16]);

/* Reads a swap header from the first 'page_size' bytes of a device: the
 * signature in the last 10 bytes and version 1, then the label (up to 15
 * bytes, NUL-terminated into 'ret_label') and the UUID. -EBADMSG when it
 * is not a version 1 swap header; -EINVAL for a page size below 4096. */
int swap_header_parse(const void *page, size_t page_size, char ret_label[SWAP_LABEL_MAX],
                      uint8_t ret_uuid[16]);
