/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Measured-boot event logs: every real log in ../shared/corpus/tpm replays to
 * the PCR values the sample records, bank by bank; the claims a policy needs
 * come out of it; malformed logs are refused with the event named.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../src/base/encoding.h"
#include "../../src/evidence/eventlog.h"
#include "test-util.h"

static uint16_t alg_of(const char *name)
{
	return !strcmp(name, "sha1")     ? CU_TPM_ALG_SHA1
	       : !strcmp(name, "sha256") ? CU_TPM_ALG_SHA256
	       : !strcmp(name, "sha384") ? CU_TPM_ALG_SHA384
	                                 : 0;
}

/* {"sha1": {"0": "hex", ...}, ...}: every listed PCR of every bank equals the replay */
static int check_pcrs(const char *dir, const struct cu_evlog *log, json_t *banks)
{
	const char *bank;
	json_t *pcrs;
	int checked = 0;

	json_object_foreach (banks, bank, pcrs) {
		uint8_t out[24][64];
		struct cu_error err = { 0 };
		const char *idx;
		json_t *want;
		int b = cu_evlog_bank(log, alg_of(bank));

		if (b < 0)
			fail_msg("%s: the log has no %s bank", dir, bank);
		assert_int_equal(cu_evlog_replay_pcrs(log, alg_of(bank), out, &err), 0);
		json_object_foreach (pcrs, idx, want) {
			char *got = cu_hex_encode_alloc(out[atoi(idx)], log->digest_size[b]);

			if (strcasecmp(got, json_string_value(want)))
				fail_msg("%s: %s PCR %s replays to %s, expected %s", dir, bank, idx,
				         got, json_string_value(want));
			free(got);
			checked++;
		}
	}
	return checked;
}

static void test_corpus_replays(void **state)
{
	const char *corpus = tu_corpus_dir();
	char kind[1024];
	struct dirent **names;
	int n, logs = 0;

	if (!corpus) {
		skip();
		return;
	}
	snprintf(kind, sizeof(kind), "%s/tpm", corpus);
	n = scandir(kind, &names, NULL, alphasort);
	assert_true(n > 0);
	for (int i = 0; i < n; i++) {
		char dir[2048], path[2304];
		struct cu_evlog log;
		struct cu_error err = { 0 };
		json_t *meta, *claims, *ec, *want;
		uint8_t *buf;
		size_t size;
		FILE *f;
		int checked = 0;

		snprintf(dir, sizeof(dir), "%s/%s", kind, names[i]->d_name);
		free(names[i]);
		snprintf(path, sizeof(path), "%s/event_log.bin", dir);
		if (!(f = fopen(path, "r")))
			continue;
		fclose(f);
		buf = tu_read_file(path, &size);
		if (cu_evlog_parse(buf, size, &log, &err) < 0)
			fail_msg("%s: %s", dir, err.message);
		snprintf(path, sizeof(path), "%s/sample.json", dir);
		meta = tu_load_json(path);
		ec = json_object_get(meta, "expected_claims");
		/* the PCR values the sample records, whichever file or claim holds them */
		snprintf(path, sizeof(path), "%s/expected_pcrs.json", dir);
		if ((f = fopen(path, "r"))) {
			json_t *banks = tu_load_json(path);

			fclose(f);
			checked += check_pcrs(dir, &log, banks);
			json_decref(banks);
		}
		if ((want = json_object_get(json_object_get(ec, "pcrs"), "value")))
			checked += check_pcrs(dir, &log, want);
		if ((want = json_object_get(json_object_get(ec, "pcrs_sha1"), "value"))) {
			json_t *banks = json_pack("{s:O}", "sha1", want);
			checked += check_pcrs(dir, &log, banks);
			json_decref(banks);
		}
		claims = cu_evlog_claims(&log, log.alg[log.n_banks - 1]);
		assert_non_null(claims);
		if ((want = json_object_get(json_object_get(ec, "kernel_cmdline"), "value"))) {
			const char *w = json_string_value(want);
			const char *g =
			    json_string_value(json_object_get(claims, "kernel_cmdline"));

			assert_non_null(g);
			assert_int_equal(strncmp(g, w, strlen(g)), 0);
			assert_true(strlen(w) - strlen(g) <= 1); /* the measured NUL */
		}
		if ((want = json_object_get(json_object_get(ec, "efi_app_digests"), "value"))) {
			json_t *sha256 = json_object_get(want, "sha256");
			json_t *c256 = cu_evlog_claims(&log, CU_TPM_ALG_SHA256);

			assert_true(json_equal(json_object_get(c256, "boot_applications"), sha256));
			json_decref(c256);
		}
		if ((want = json_object_get(json_object_get(ec, "events"), "value")) ||
		    (want = json_object_get(json_object_get(ec, "event_log_events"), "value")))
			assert_int_equal(json_integer_value(json_object_get(claims, "events")),
			                 json_integer_value(want));
		if (checked == 0 && !json_object_get(ec, "event_log_replay_mismatching_pcrs"))
			fail_msg("%s: nothing to compare the replay with", dir);
		json_decref(claims);
		json_decref(meta);
		cu_evlog_done(&log);
		free(buf);
		logs++;
	}
	free(names);
	assert_true(logs >= 3);
}

/* A two-event SHA-384 CC event log, built here, replayed into RTMRs. */
static size_t ccel(uint8_t *out, uint32_t second_index)
{
	size_t n = 0;
	uint8_t d[48];

#define U32(v)                                                                                     \
	do {                                                                                       \
		uint32_t x_ = (v);                                                                 \
		memcpy(out + n, &x_, 4);                                                           \
		n += 4;                                                                            \
	} while (0)
	/* Spec ID Event03: legacy header, then the spec with one SHA-384 bank */
	U32(0);
	U32(CU_EV_NO_ACTION);
	memset(out + n, 0, 20);
	n += 20;
	U32(16 + 4 + 4 + 4 + 4 + 1);
	memcpy(out + n, "Spec ID Event03", 16);
	n += 16;
	U32(0);                                 /* platform class */
	memcpy(out + n, "\x00\x02\x00\x02", 4); /* 2.0, errata 0, uintn 2 */
	n += 4;
	U32(1);
	memcpy(out + n, "\x0c\x00\x30\x00", 4); /* SHA-384, 48 bytes */
	n += 4;
	out[n++] = 0; /* vendor info */
	for (uint32_t e = 0; e < 2; e++) {
		U32(e == 0 ? 1 : second_index);
		U32(CU_EV_IPL);
		U32(1);
		memcpy(out + n, "\x0c\x00", 2);
		n += 2;
		memset(d, (int)(0x40 + e), sizeof(d));
		memcpy(out + n, d, 48);
		n += 48;
		U32(e == 0 ? 28 : 7);
		memcpy(out + n, e == 0 ? "kernel_cmdline: console=hvc0" : "grub_cm",
		       e == 0 ? 28 : 7);
		n += e == 0 ? 28 : 7;
	}
#undef U32
	return n;
}

static void test_ccel_replay(void **state)
{
	uint8_t buf[1024], rtmr[4][48], want[48] = { 0 }, two[96];
	bool ext[4];
	struct cu_evlog log;
	struct cu_error err = { 0 };
	size_t n = ccel(buf, 3);
	json_t *c;

	assert_int_equal(cu_evlog_parse(buf, n, &log, &err), 0);
	assert_true(log.crypto_agile);
	assert_int_equal(log.n_events, 2);
	assert_int_equal(cu_evlog_replay_rtmrs(&log, rtmr, ext, &err), 0);
	assert_true(ext[0] && !ext[1] && ext[2] && !ext[3]);
	/* RTMR0 = SHA-384(0^48 || 0x40^48) */
	memset(two, 0, 48);
	memset(two + 48, 0x40, 48);
	{
		unsigned int len;
		assert_int_equal(EVP_Digest(two, 96, want, &len, EVP_sha384(), NULL), 1);
	}
	assert_memory_equal(rtmr[0], want, 48);
	c = cu_evlog_claims(&log, CU_TPM_ALG_SHA384);
	assert_string_equal(json_string_value(json_object_get(c, "kernel_cmdline")),
	                    "console=hvc0");
	json_decref(c);
	cu_evlog_done(&log);

	/* index 5 is no RTMR */
	n = ccel(buf, 5);
	assert_int_equal(cu_evlog_parse(buf, n, &log, &err), 0);
	assert_int_equal(cu_evlog_replay_rtmrs(&log, rtmr, ext, &err), CU_ERR_MALFORMED);
	assert_non_null(strstr(err.message, "measurement register 5"));
	cu_evlog_done(&log);

	/* truncated anywhere: refused with a reason, never a crash */
	n = ccel(buf, 3);
	for (size_t cut = 1; cut < n; cut++) {
		if (cu_evlog_parse(buf, cut, &log, &err) == 0) {
			/* only a cut right after an event leaves a shorter, valid log */
			assert_true(log.n_events < 2);
			cu_evlog_done(&log);
			continue;
		}
		assert_string_equal(err.stage, "eventlog");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_replays),
		cmocka_unit_test(test_ccel_replay),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
