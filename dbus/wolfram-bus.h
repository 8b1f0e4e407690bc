/* SPDX-License-Identifier: MIT */
#pragma once

/* Names shared by the engine and its clients. The XML next to this file is
 * the contract; these must match it. */

#define WOLFRAM_BUS_NAME "org.wolfram.Memory1"
#define WOLFRAM_BUS_PATH "/org/wolfram/Memory1"
#define WOLFRAM_BUS_INTERFACE "org.wolfram.Memory1"

#define WOLFRAM_ERROR_PREFIX "org.wolfram.Memory1.Error."
#define WOLFRAM_ERROR_FAILED WOLFRAM_ERROR_PREFIX "Failed"
#define WOLFRAM_ERROR_BUSY WOLFRAM_ERROR_PREFIX "Busy"
#define WOLFRAM_ERROR_INVALID_CONFIG WOLFRAM_ERROR_PREFIX "InvalidConfig"
#define WOLFRAM_ERROR_NO_SUCH_PROCESS WOLFRAM_ERROR_PREFIX "NoSuchProcess"
#define WOLFRAM_ERROR_PROTECTED_PROCESS WOLFRAM_ERROR_PREFIX "ProtectedProcess"
#define WOLFRAM_ERROR_INVALID_PATTERN WOLFRAM_ERROR_PREFIX "InvalidPattern"
#define WOLFRAM_ERROR_NO_SUCH_EXCLUSION WOLFRAM_ERROR_PREFIX "NoSuchExclusion"
#define WOLFRAM_ERROR_INVALID_ARGUMENT WOLFRAM_ERROR_PREFIX "InvalidArgument"
#define WOLFRAM_ERROR_NOT_SUPPORTED WOLFRAM_ERROR_PREFIX "NotSupported"
#define WOLFRAM_ERROR_LIMIT_EXCEEDED WOLFRAM_ERROR_PREFIX "LimitExceeded"

#define WOLFRAM_POLKIT_ACTION_PAUSE "org.wolfram.memory1.pause"
#define WOLFRAM_POLKIT_ACTION_EXCLUDE "org.wolfram.memory1.exclude"
#define WOLFRAM_POLKIT_ACTION_RECLAIM "org.wolfram.memory1.reclaim"
#define WOLFRAM_POLKIT_ACTION_CONFIGURE "org.wolfram.memory1.configure"
#define WOLFRAM_POLKIT_ACTION_HIBERNATE "org.wolfram.memory1.hibernate"
