/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TCG PC Client Platform Firmware Profile event logs (section 10: the
 * TCG_PCR_EVENT and TCG_PCR_EVENT2 structures, the Spec ID Event03 header,
 * the StartupLocality event) through the bounded reader.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "../base/bytes.h"
#include "../base/encoding.h"
#include "../base/error.h"
#include "../base/limits.h"
#include "eventlog.h"

#define STAGE "eventlog"

static const char spec_id[] = "Spec ID Event03"; /* and its NUL */
static const char startup_locality[] = "StartupLocality";

const EVP_MD *cu_tpm_alg_md(uint16_t alg)
{
	switch (alg) {
	case CU_TPM_ALG_SHA1:
		return EVP_sha1();
	case CU_TPM_ALG_SHA256:
		return EVP_sha256();
	case CU_TPM_ALG_SHA384:
		return EVP_sha384();
	case CU_TPM_ALG_SHA512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

static int push(struct cu_evlog *log, size_t *cap, const struct cu_evlog_event *e,
                struct cu_error *err)
{
	if (log->n_events >= CU_LIMIT_EVENTLOG_EVENTS)
		return cu_fail(err, CU_ERR_TOO_LARGE, STAGE, "more than %u events",
		               CU_LIMIT_EVENTLOG_EVENTS);
	if (log->n_events == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct cu_evlog_event *n = realloc(log->events, ncap * sizeof(*n));

		if (!n)
			return cu_fail(err, CU_ERR_NOMEM, STAGE, "out of memory");
		log->events = n;
		*cap = ncap;
	}
	log->events[log->n_events++] = *e;
	return 0;
}

/* TCG_PCR_EVENT: index, type, SHA-1 digest, data. */
static bool get_legacy(struct cu_bytes *b, struct cu_evlog_event *e)
{
	struct cu_bytes digest, data;

	memset(e, 0, sizeof(*e));
	if (!cu_bytes_get_u32le(b, &e->index) || !cu_bytes_get_u32le(b, &e->type) ||
	    !cu_bytes_get_bytes(b, 20, &digest) || !cu_bytes_get_u32le(b, &e->data_size) ||
	    !cu_bytes_get_bytes(b, e->data_size, &data))
		return false;
	e->digest[0] = digest.data;
	e->data = data.data;
	return true;
}

/* The Spec ID Event03 header: the banks and their digest sizes. */
static int parse_spec(struct cu_evlog *log, const struct cu_evlog_event *first,
                      struct cu_error *err)
{
	struct cu_bytes b;
	uint32_t platform_class, n_algs;
	uint8_t minor, major, errata, uintn;

	cu_bytes_init(&b, first->data, first->data_size);
	if (!cu_bytes_skip(&b, sizeof(spec_id)) || !cu_bytes_get_u32le(&b, &platform_class) ||
	    !cu_bytes_get_u8(&b, &minor) || !cu_bytes_get_u8(&b, &major) ||
	    !cu_bytes_get_u8(&b, &errata) || !cu_bytes_get_u8(&b, &uintn) ||
	    !cu_bytes_get_u32le(&b, &n_algs))
		return cu_fail(err, CU_ERR_MALFORMED, STAGE, "Spec ID event truncated");
	if (major != 2)
		return cu_fail(err, CU_ERR_UNSUPPORTED, STAGE,
		               "Spec ID event: specification version %u.%u (2.0 expected)", major,
		               minor);
	if (n_algs == 0 || n_algs > CU_EVLOG_MAX_BANKS)
		return cu_fail(err, CU_ERR_MALFORMED, STAGE,
		               "Spec ID event: %u digest algorithms (1 to %u)", n_algs,
		               CU_EVLOG_MAX_BANKS);
	for (uint32_t i = 0; i < n_algs; i++) {
		uint16_t alg, size;

		if (!cu_bytes_get_u16le(&b, &alg) || !cu_bytes_get_u16le(&b, &size))
			return cu_fail(err, CU_ERR_MALFORMED, STAGE, "Spec ID event truncated");
		if (size == 0 || size > 64 ||
		    (cu_tpm_alg_md(alg) && (size_t)EVP_MD_get_size(cu_tpm_alg_md(alg)) != size))
			return cu_fail(err, CU_ERR_MALFORMED, STAGE,
			               "Spec ID event: algorithm 0x%04x with digest size %u", alg,
			               size);
		for (size_t j = 0; j < log->n_banks; j++)
			if (log->alg[j] == alg)
				return cu_fail(err, CU_ERR_MALFORMED, STAGE,
				               "Spec ID event: algorithm 0x%04x twice", alg);
		log->alg[log->n_banks] = alg;
		log->digest_size[log->n_banks++] = size;
	}
	return 0;
}

/* TCG_PCR_EVENT2: index, type, one digest per bank (any order), data. */
static int get_event2(const struct cu_evlog *log, struct cu_bytes *b, struct cu_evlog_event *e,
                      size_t n, struct cu_error *err)
{
	uint32_t count;
	struct cu_bytes data;

	memset(e, 0, sizeof(*e));
	if (!cu_bytes_get_u32le(b, &e->index) || !cu_bytes_get_u32le(b, &e->type) ||
	    !cu_bytes_get_u32le(b, &count))
		return cu_fail(err, CU_ERR_MALFORMED, STAGE, "event %zu truncated", n);
	if (count != log->n_banks)
		return cu_fail(err, CU_ERR_MALFORMED, STAGE,
		               "event %zu has %u digests, the log declares %zu banks", n, count,
		               log->n_banks);
	for (uint32_t i = 0; i < count; i++) {
		uint16_t alg;
		struct cu_bytes d;
		int k = -1;

		if (!cu_bytes_get_u16le(b, &alg))
			return cu_fail(err, CU_ERR_MALFORMED, STAGE, "event %zu truncated", n);
		for (size_t j = 0; j < log->n_banks; j++)
			if (log->alg[j] == alg)
				k = (int)j;
		if (k < 0 || e->digest[k])
			return cu_fail(err, CU_ERR_MALFORMED, STAGE,
			               "event %zu: digest of algorithm 0x%04x %s", n, alg,
			               k < 0 ? "not declared" : "twice");
		if (!cu_bytes_get_bytes(b, log->digest_size[k], &d))
			return cu_fail(err, CU_ERR_MALFORMED, STAGE, "event %zu truncated", n);
		e->digest[k] = d.data;
	}
	if (!cu_bytes_get_u32le(b, &e->data_size) || !cu_bytes_get_bytes(b, e->data_size, &data))
		return cu_fail(err, CU_ERR_MALFORMED, STAGE, "event %zu truncated", n);
	e->data = data.data;
	return 0;
}

static void note_locality(struct cu_evlog *log, const struct cu_evlog_event *e)
{
	if (e->type == CU_EV_NO_ACTION && e->index == 0 &&
	    e->data_size == sizeof(startup_locality) + 1 &&
	    memcmp(e->data, startup_locality, sizeof(startup_locality)) == 0)
		log->startup_locality = e->data[sizeof(startup_locality)];
}

int cu_evlog_parse(const uint8_t *buf, size_t size, struct cu_evlog *log, struct cu_error *err)
{
	struct cu_bytes b;
	struct cu_evlog_event e;
	size_t cap = 0;
	int r;

	memset(log, 0, sizeof(*log));
	log->startup_locality = -1;
	if (size > CU_LIMIT_EVENTLOG_SIZE)
		return cu_fail(err, CU_ERR_TOO_LARGE, STAGE, "event log larger than %u bytes",
		               CU_LIMIT_EVENTLOG_SIZE);
	cu_bytes_init(&b, buf, size);
	if (!get_legacy(&b, &e))
		return cu_fail(err, CU_ERR_MALFORMED, STAGE, "first event truncated");
	log->crypto_agile = e.type == CU_EV_NO_ACTION && e.index == 0 &&
	                    e.data_size >= sizeof(spec_id) &&
	                    memcmp(e.data, spec_id, sizeof(spec_id)) == 0;
	if (log->crypto_agile) {
		if ((r = parse_spec(log, &e, err)) < 0)
			goto fail;
	} else {
		log->n_banks = 1;
		log->alg[0] = CU_TPM_ALG_SHA1;
		log->digest_size[0] = 20;
		if ((r = push(log, &cap, &e, err)) < 0)
			goto fail;
		note_locality(log, &e);
	}
	/* Firmware may leave zero padding after the last event. */
	while (!cu_bytes_is_empty(&b) && !cu_bytes_all_zero(&b)) {
		if (log->crypto_agile) {
			if ((r = get_event2(log, &b, &e, log->n_events + 1, err)) < 0)
				goto fail;
		} else if (!get_legacy(&b, &e)) {
			r = cu_fail(err, CU_ERR_MALFORMED, STAGE, "event %zu truncated",
			            log->n_events);
			goto fail;
		}
		if ((r = push(log, &cap, &e, err)) < 0)
			goto fail;
		note_locality(log, &e);
	}
	return 0;
fail:
	cu_evlog_done(log);
	return r;
}

void cu_evlog_done(struct cu_evlog *log)
{
	free(log->events);
	memset(log, 0, sizeof(*log));
	log->startup_locality = -1;
}

int cu_evlog_bank(const struct cu_evlog *log, uint16_t alg)
{
	for (size_t i = 0; i < log->n_banks; i++)
		if (log->alg[i] == alg)
			return (int)i;
	return -1;
}

static int extend(const EVP_MD *md, uint8_t *reg, const uint8_t *digest, size_t n)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c && EVP_DigestInit_ex(c, md, NULL) == 1 && EVP_DigestUpdate(c, reg, n) == 1 &&
	         EVP_DigestUpdate(c, digest, n) == 1 && EVP_DigestFinal_ex(c, reg, NULL) == 1;

	EVP_MD_CTX_free(c);
	return ok ? 0 : CU_ERR_INTERNAL;
}

int cu_evlog_replay_pcrs(const struct cu_evlog *log, uint16_t alg, uint8_t out[24][64],
                         struct cu_error *err)
{
	int bank = cu_evlog_bank(log, alg);
	const EVP_MD *md = cu_tpm_alg_md(alg);
	size_t n;

	if (bank < 0 || !md)
		return cu_fail(err, CU_ERR_NOT_FOUND, STAGE,
		               "the event log has no bank of algorithm 0x%04x", alg);
	n = log->digest_size[bank];
	for (int i = 0; i < 24; i++)
		memset(out[i], i >= 17 && i <= 22 ? 0xff : 0x00, 64);
	if (log->startup_locality >= 0)
		out[0][n - 1] = (uint8_t)log->startup_locality;
	for (size_t i = 0; i < log->n_events; i++) {
		const struct cu_evlog_event *e = &log->events[i];

		if (e->type == CU_EV_NO_ACTION)
			continue;
		if (e->index >= 24)
			return cu_fail(err, CU_ERR_MALFORMED, STAGE, "event %zu extends PCR %u", i,
			               e->index);
		if (extend(md, out[e->index], e->digest[bank], n) < 0)
			return cu_fail(err, CU_ERR_INTERNAL, STAGE, "digest failed");
	}
	return 0;
}

int cu_evlog_replay_rtmrs(const struct cu_evlog *log, uint8_t out[4][48], bool extended[4],
                          struct cu_error *err)
{
	int bank = cu_evlog_bank(log, CU_TPM_ALG_SHA384);

	if (bank < 0)
		return cu_fail(err, CU_ERR_NOT_FOUND, STAGE,
		               "the CC event log has no SHA-384 digests");
	memset(out, 0, 4 * 48);
	memset(extended, 0, 4 * sizeof(bool));
	for (size_t i = 0; i < log->n_events; i++) {
		const struct cu_evlog_event *e = &log->events[i];

		if (e->type == CU_EV_NO_ACTION)
			continue;
		if (e->index < 1 || e->index > 4)
			return cu_fail(
			    err, CU_ERR_MALFORMED, STAGE,
			    "event %zu: measurement register %u (1 to 4: RTMR0 to RTMR3)", i,
			    e->index);
		if (extend(EVP_sha384(), out[e->index - 1], e->digest[bank], 48) < 0)
			return cu_fail(err, CU_ERR_INTERNAL, STAGE, "digest failed");
		extended[e->index - 1] = true;
	}
	return 0;
}

/* An ASCII string of event data: up to its first NUL, printable only. */
static json_t *ascii(const uint8_t *p, size_t n)
{
	size_t len = 0;

	while (len < n && p[len])
		len++;
	for (size_t i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return NULL;
	return json_stringn((const char *)p, len);
}

/* UEFI_VARIABLE_DATA named SecureBoot: its one data byte. */
static int secure_boot(const struct cu_evlog_event *e)
{
	static const uint8_t name[] = { 'S', 0, 'e', 0, 'c', 0, 'u', 0, 'r', 0,
		                        'e', 0, 'B', 0, 'o', 0, 'o', 0, 't', 0 };
	struct cu_bytes b, n, d;
	uint64_t name_len, data_len;

	cu_bytes_init(&b, e->data, e->data_size);
	if (!cu_bytes_skip(&b, 16) || !cu_bytes_get_u64le(&b, &name_len) ||
	    !cu_bytes_get_u64le(&b, &data_len) || name_len != 10 || data_len > 1 ||
	    !cu_bytes_get_bytes(&b, 20, &n) || memcmp(n.data, name, 20) ||
	    !cu_bytes_get_bytes(&b, (size_t)data_len, &d))
		return -1;
	return data_len == 1 && d.data[0] == 1;
}

json_t *cu_evlog_claims(const struct cu_evlog *log, uint16_t alg)
{
	int bank = cu_evlog_bank(log, alg);
	json_t *c = json_object(), *grub = json_array(), *apps = json_array();
	json_t *cmdline = NULL;
	int sb = -1;

	if (!c || !grub || !apps || bank < 0)
		goto fail;
	for (size_t i = 0; i < log->n_events; i++) {
		const struct cu_evlog_event *e = &log->events[i];

		if (e->type == CU_EV_IPL && e->data_size > 0) {
			static const char kc[] = "kernel_cmdline: ", gc[] = "grub_cmd: ";
			json_t *s = ascii(e->data, e->data_size);
			const char *v = json_string_value(s);

			if (v && !strncmp(v, kc, sizeof(kc) - 1)) {
				json_decref(cmdline);
				cmdline = json_string(v + sizeof(kc) - 1);
			} else if (v && !strncmp(v, gc, sizeof(gc) - 1)) {
				json_array_append_new(grub, json_string(v + sizeof(gc) - 1));
			}
			json_decref(s);
		} else if (e->type == CU_EV_EFI_BOOT_SERVICES_APPLICATION) {
			char *hex = cu_hex_encode_alloc(e->digest[bank], log->digest_size[bank]);

			if (!hex || json_array_append_new(apps, json_string(hex)) < 0) {
				free(hex);
				goto fail;
			}
			free(hex);
		} else if (e->type == CU_EV_EFI_VARIABLE_DRIVER_CONFIG) {
			int v = secure_boot(e);
			if (v >= 0)
				sb = v;
		}
	}
	/* every record of the log, the Spec ID header included */
	if (json_object_set_new(
	        c, "events", json_integer((json_int_t)(log->n_events + log->crypto_agile))) < 0 ||
	    (cmdline && json_object_set(c, "kernel_cmdline", cmdline) < 0) ||
	    (json_array_size(grub) && json_object_set(c, "grub_commands", grub) < 0) ||
	    (json_array_size(apps) && json_object_set(c, "boot_applications", apps) < 0) ||
	    (sb >= 0 && json_object_set_new(c, "secure_boot", json_boolean(sb)) < 0))
		goto fail;
	json_decref(cmdline);
	json_decref(grub);
	json_decref(apps);
	return c;
fail:
	json_decref(cmdline);
	json_decref(grub);
	json_decref(apps);
	json_decref(c);
	return NULL;
}
