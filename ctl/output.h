/* SPDX-License-Identifier: MIT */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* How text output looks; every renderer takes one. */
typedef struct OutputOptions {
        bool bytes; /* sizes as exact byte counts instead of KiB, MiB, GiB */
        bool colour; /* ANSI bold and colours */
        bool no_legend; /* tables without their header line or hints */
} OutputOptions;

/* Whether to colour: only on a terminal, never with NO_COLOR set to
 * anything non-empty, never where TERM is unset or "dumb". */
bool colour_wanted(bool is_terminal, const char *no_color, const char *term);

/* The escape sequences, or "" when the options say no colour. */
const char *ansi_bold(const OutputOptions *o);
const char *ansi_green(const OutputOptions *o);
const char *ansi_yellow(const OutputOptions *o);
const char *ansi_red(const OutputOptions *o);
const char *ansi_normal(const OutputOptions *o);

/* The colour for an engine state: green running, yellow paused, red else. */
const char *ansi_for_state(const OutputOptions *o, const char *state);

#define FORMAT_SIZE_MAX 32

/* A size as the options want it: "1.5 GiB", or "1610612736" with bytes. */
char *format_size(char buf[static FORMAT_SIZE_MAX], uint64_t bytes, const OutputOptions *o);

/* The same for a signed figure (KSM's profit can be negative). */
char *format_size_signed(char buf[static FORMAT_SIZE_MAX], int64_t bytes, const OutputOptions *o);

/* Readers of a member of a JSON object that return 'def' when it is
 * missing; strings as they are (not escaped). */
uint64_t json_get_u64(json_object *o, const char *key, uint64_t def);
int64_t json_get_i64(json_object *o, const char *key, int64_t def);
double json_get_double(json_object *o, const char *key, double def);
bool json_get_bool(json_object *o, const char *key, bool def);
const char *json_get_str(json_object *o, const char *key, const char *def);
json_object *json_get(json_object *o, const char *key);

/* Writes JSON text as it is but for DEL, C1 and bidi controls and bytes
 * that are not UTF-8 (these only ever stand inside strings): \uXXXX, and
 * \ufffd for a bad byte. Still the same JSON, and safe on a terminal. */
void fputs_json_safe(FILE *f, const char *json);

/* Prints a JSON value and a newline: pretty, or on one line, through
 * fputs_json_safe(). Returns 0 or -EIO when writing failed. */
int print_json(FILE *f, json_object *v, bool pretty);

/* Prints 's' escaped (see escape_text()); "?" for NULL. */
void fputs_escaped(FILE *f, const char *s);

/* "compression on, ksm off, tuning on" from an a{sb} of policies, in that
 * order, any other key after them; "none" when empty. Returns 0 or -EIO. */
int print_policies(FILE *f, json_object *policies, const OutputOptions *o);
